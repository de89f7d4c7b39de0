"""The item bank: one YAML file per item (a package only so that the files ship with it)."""
