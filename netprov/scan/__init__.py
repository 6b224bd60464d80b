"""Intake from a scanned letter: page loading, OCR and field proposals (``netprov request scan``).

* :mod:`netprov.scan.words` - OCR words with boxes, the data every other module works on;
* :mod:`netprov.scan.ocr` - the OCR port and its Tesseract runner (``tesseract -l ind --psm 6``);
* :mod:`netprov.scan.pages` - a PDF/JPEG/PNG file checked and turned into page images or words;
* :mod:`netprov.scan.fields` - pure field extraction from words (value, confidence, page, box);
* :mod:`netprov.scan.proposal` - the letter YAML a person checks before ``request submit``.
"""
