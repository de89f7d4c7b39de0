"""The round trip with the LMS: the course file, the roster, late work, overrides and the files
that take grades and feedback back to Canvas and Moodle (docs/COURSE_FILE.md)."""
