"""Reading scanned answer sheets: images in (:mod:`.images`), corner markers and the page
transform (:mod:`.align`), bubble darkness and its verdict (:mod:`.marks`), one page's
responses (:mod:`.page`), the files a scan run writes (:mod:`.output`), and made scans for
the tests and the benchmark (:mod:`.simulate`)."""

import os

# OpenCV refuses to decode an image larger than this many pixels, reading the size from the
# file's header before it allocates anything: a small compressed file that claims a huge
# page (a decompression bomb) costs nothing. It reads the setting when it is first loaded,
# so it is set here, before any module of this package imports cv2. 60 Mpx: an A4 page at
# 600 dpi is 35 Mpx; more is not a scan (images.MAX_PIXELS says the same).
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", "60000000")
