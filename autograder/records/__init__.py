"""The gradebook and everything made from it: records, feedback pages, exports,
the class report and summary, and every sentence people read, in Korean and English."""
