"""Grading: one submission through the hidden suite (``worker``), the batch around it
(``batch``), and what a hidden test uses (``plugin``, ``testing``, ``scoring``).

Kept light: the batch's main process imports ``settings`` from here without pytest.
"""
