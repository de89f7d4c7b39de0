"""Export an assignment to otter-grader: master notebook, student notebook, Gradescope zip."""
