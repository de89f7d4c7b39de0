"""optigrade: the command line and the few pieces every part of the toolkit shares.

The architecture lives in the sibling packages: ``solutions`` (the reference), ``assignments``
(student notebooks), ``autograder`` (grading) and ``quizzes`` (quiz sheets).
"""

__version__ = "0.1.0"
