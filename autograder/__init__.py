"""The autograder: hidden pytest suites, run by a trusted grader against sandboxed student code.

Keep this module empty of imports: the sandbox process imports ``autograder.wire`` and
``autograder.sandbox.child`` before it locks itself down, and must not drag anything else
(least of all ``solutions``) into the student's reach.
"""
