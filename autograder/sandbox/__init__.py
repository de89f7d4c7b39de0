"""The untrusted side: a locked-down process that runs one student's code and answers calls.

``zygote`` forks sandboxes from a process that already imported numpy (so each costs a few
milliseconds, not a fresh interpreter), ``isolation`` and ``landlock`` lock a fresh sandbox down,
``runtime`` is the loop that runs inside it, and ``client`` is the trusted grader's handle on it.
"""
