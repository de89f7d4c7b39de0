"""Reading scanned answer sheets: images in (:mod:`.images`), corner markers and the page
transform (:mod:`.align`), bubble darkness and its verdict (:mod:`.marks`), one page's
responses (:mod:`.page`), the files a scan run writes (:mod:`.output`), and made scans for
the tests and the benchmark (:mod:`.simulate`)."""
