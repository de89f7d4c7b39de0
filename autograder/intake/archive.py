"""A zip reader that loses one entry, never the archive, to one bad entry.

:mod:`zipfile` reads the whole central directory up front and gives up on the archive at the
first name that is not the UTF-8 it claims, the first corrupt extra field, or the first entry of
a newer zip version. An LMS download is one archive for the whole class, so here the directory
is read record by record: a record that cannot be used costs that entry (with the reason), and
only an archive whose directory cannot be found at all is unreadable. Entries are read with
``pread`` from a descriptor opened without following links, inflated in bounded steps, never
more than one byte past the size the directory declares (itself within the size limit), and
checked against their CRC. Records whose data overlap are refused: one small deflate stream
shared by thousands of records is the overlapping zip bomb, which would otherwise be inflated
once per record.

Only what LMS downloads use is supported: stored and deflated entries, zip64 sizes and offsets.
Encrypted entries and other compression methods are refused with a reason.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from autograder.intake import texts
from autograder.intake.names import decode_name

_EOCD = struct.Struct("<4sHHHHIIH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")
_CENTRAL = struct.Struct("<4sBBHHHHHIIIHHHHHII")  # one central directory record
_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # one local file header
_UTF8_FLAG = 1 << 11
_ENCRYPTED_FLAG = 1
_STORED, _DEFLATED = 0, 8
_CHUNK = 1 << 16
#: The end record is within the last 22 bytes plus the longest comment.
_TAIL = _EOCD.size + 0xFFFF


class ArchiveError(Exception):
    """The archive as a whole cannot be read (no directory found): the message says why."""


class EntryError(Exception):
    """One entry cannot be read: the message is the bilingual reason."""


@dataclass(slots=True)
class Entry:
    """One record of the central directory."""

    index: int
    raw_name: bytes
    name: str  # decoded, printable, "/" as the separator
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    offset: int  # of the local header
    mode: int  # the Unix st_mode in the external attributes (0 when there is none)
    dos_time: int = 0  # the MS-DOS time and date fields: local time of the archiver
    dos_date: int = 0
    #: Where the data starts, after the local header (None: no local header there).
    data_at: int | None = None
    #: Its local header or data overlap another record's: refused, never read.
    overlaps: bool = False

    @property
    def modified(self) -> datetime | None:
        """The entry's time as written (naive: the archiving machine's local time, in no
        stated zone), or None for the zip format's "no date" (1980-01-01 00:00) and
        impossible dates."""
        day, month, year = self.dos_date & 0x1F, (self.dos_date >> 5) & 0x0F, self.dos_date >> 9
        second, minute, hour = (
            (self.dos_time & 0x1F) * 2,
            (self.dos_time >> 5) & 0x3F,
            self.dos_time >> 11,
        )
        if year == 0 and month <= 1 and day <= 1 and not self.dos_time:
            return None
        try:
            return datetime(1980 + year, month, day, hour, minute, min(second, 59))
        except ValueError:
            return None

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/") or stat.S_ISDIR(self.mode)

    def refusal(self) -> str | None:
        """Why this entry is not a plain file that may be extracted (link, device, ...)."""
        kind = stat.S_IFMT(self.mode)
        if self.mode and kind not in (stat.S_IFREG, stat.S_IFDIR, 0):
            from autograder.intake.files import refusal  # the same words as on disk

            return refusal(self.mode)
        return None


class ZipReader:
    """The entries of the zip archive open on ``fd`` (``size`` bytes), and their contents.

    ``max_records`` bounds how many directory records are read at all (each costs memory);
    :attr:`unread_after` is their count when the directory holds more, :attr:`damaged_after`
    the count read before a damaged record ended the directory. :attr:`inflated` counts every
    byte :meth:`read` produced, whatever came of the read: what the archive's budget is
    charged, so that entries refused after inflating cost the archive as much as the others.
    """

    def __init__(self, fd: int, size: int, max_records: int) -> None:
        self.fd, self.size = fd, size
        self.entries: list[Entry] = []
        self.damaged_after: int | None = None
        self.unread_after: int | None = None
        self.inflated = 0
        directory, count, shift = self._directory()
        for entry in self._records(directory, count, shift):
            if len(self.entries) >= max_records:
                self.unread_after = len(self.entries)
                break
            self.entries.append(entry)
        if self.damaged_after == 0:
            raise ArchiveError("the central directory is damaged")
        self._find_overlaps()

    def _pread(self, length: int, offset: int) -> bytes:
        return os.pread(self.fd, length, offset) if length > 0 else b""

    def _directory(self) -> tuple[bytes, int, int]:
        """The central directory's bytes, its record count, and how far the archive is
        shifted (data prepended to it, as a self-extracting stub would)."""
        start = max(0, self.size - _TAIL)
        tail = self._pread(self.size - start, start)
        at = _end_record(tail)
        (_, disk, _, _, count, cd_size, cd_offset, _) = _EOCD.unpack_from(tail, at)
        end = start + at
        if disk not in (0, 0xFFFF):
            raise ArchiveError("an archive split over several files")
        if count == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
            count, cd_size, cd_offset, end = self._zip64(end)
        shift = end - cd_size - cd_offset
        if shift < 0 or cd_size > self.size:
            raise ArchiveError("the central directory is not where the archive says")
        return self._pread(cd_size, cd_offset + shift), count, shift

    def _zip64(self, end: int) -> tuple[int, int, int, int]:
        if end < _ZIP64_LOCATOR.size + _ZIP64_EOCD.size:
            raise ArchiveError("a zip64 archive without its zip64 directory")
        locator = self._pread(_ZIP64_LOCATOR.size, end - _ZIP64_LOCATOR.size)
        if len(locator) < _ZIP64_LOCATOR.size or locator[:4] != b"PK\x06\x07":
            raise ArchiveError("a zip64 archive without its zip64 directory locator")
        record_at = end - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
        record = self._pread(_ZIP64_EOCD.size, record_at)
        if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
            raise ArchiveError("a damaged zip64 end of central directory")
        fields = _ZIP64_EOCD.unpack(record)
        count, cd_size, cd_offset = fields[7], fields[8], fields[9]
        return count, cd_size, cd_offset, record_at

    def _records(self, directory: bytes, count: int, shift: int) -> Iterator[Entry]:
        at, index = 0, 0
        while at + _CENTRAL.size <= len(directory):
            fields = _CENTRAL.unpack_from(directory, at)
            if fields[0] != b"PK\x01\x02":
                break
            flags, method, crc, csize, usize = (fields[i] for i in (4, 5, 8, 9, 10))
            dos_time, dos_date = fields[6], fields[7]
            name_len, extra_len, comment_len = fields[11], fields[12], fields[13]
            external, offset = fields[16], fields[17]
            name_at = at + _CENTRAL.size
            end = name_at + name_len + extra_len + comment_len
            if end > len(directory):
                break
            raw = directory[name_at : name_at + name_len]
            extra = directory[name_at + name_len : name_at + name_len + extra_len]
            usize, csize, offset, unicode_name = _extra(extra, raw, usize, csize, offset)
            yield Entry(
                index=index,
                raw_name=raw,
                name=_entry_name(raw, flags, unicode_name),
                flags=flags,
                method=method,
                crc=crc,
                compressed_size=csize,
                size=usize,
                offset=offset + shift,
                # Unix permissions and file type. The type bits are believed whatever system
                # the entry says it was made on: a link is refused even from "FAT".
                mode=(external >> 16) & 0xFFFF,
                dos_time=dos_time,
                dos_date=dos_date,
            )
            at, index = end, index + 1
        if index < count:
            self.damaged_after = index

    def _find_overlaps(self) -> None:
        """Mark every record whose local header and data overlap another record's.

        An honest archive never shares bytes between entries; an overlapping zip bomb points
        thousands of records at one small stream, each of which would cost a full inflation
        (and a size of 0 declared in each would charge the archive's budget nothing). Which
        of two overlapping records is the honest one cannot be told, so neither is read.
        """
        spans: list[tuple[int, int, Entry]] = []
        for entry in self.entries:
            # Past the end there is no header to read (and an offset near 2**64 from a zip64
            # field is more than pread takes): read() refuses such an entry on its own.
            if entry.offset + _LOCAL.size > self.size:
                continue
            header = self._pread(_LOCAL.size, entry.offset)
            if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
                continue
            fields = _LOCAL.unpack(header)
            entry.data_at = entry.offset + _LOCAL.size + fields[9] + fields[10]
            spans.append((entry.offset, entry.data_at + entry.compressed_size, entry))
        # One sweep in the order of the offsets: a span that starts before the furthest end
        # seen so far overlaps the span that reaches that end (both are marked). Every span
        # that overlaps another is marked this way, in n log n for the sort.
        spans.sort(key=lambda span: (span[0], span[1]))
        furthest: tuple[int, int, Entry] | None = None
        for span in spans:
            if furthest is not None and span[0] < furthest[1]:
                span[2].overlaps = furthest[2].overlaps = True
            if furthest is None or span[1] > furthest[1]:
                furthest = span

    def read(self, entry: Entry, limit: int) -> bytes:
        """The entry's contents; :class:`EntryError` if it is encrypted, damaged (its data
        overlap another entry's, or inflate to another size than the directory declares), in
        an unsupported format, or declared larger than ``limit`` bytes.

        At most the declared size and one byte are inflated: a record that declares 0 bytes
        and holds 50 MiB costs one byte, not 50 MiB. Every byte produced is added to
        :attr:`inflated`, whatever the outcome.
        """
        if entry.flags & _ENCRYPTED_FLAG:
            raise EntryError(texts.say(texts.ENCRYPTED))
        if entry.method not in (_STORED, _DEFLATED):
            raise EntryError(texts.say(texts.METHOD, method=entry.method))
        if entry.size > limit:
            raise EntryError(texts.say(texts.TOO_LARGE_ENTRY, limit=limit))
        if entry.data_at is None:
            raise EntryError(texts.say(texts.DAMAGED, detail="no local header"))
        if entry.overlaps:
            raise EntryError(texts.say(texts.OVERLAPPING))
        if entry.data_at + entry.compressed_size > self.size:
            raise EntryError(texts.say(texts.DAMAGED, detail="truncated"))
        if entry.method == _STORED and entry.compressed_size != entry.size:
            # Stored bytes are the contents: two sizes that differ are damage, found unread.
            raise EntryError(texts.say(texts.DAMAGED, detail="size differs from the directory"))
        data = bytearray()
        try:
            self._inflate(entry, entry.data_at, data)
        finally:
            self.inflated += len(data)
        if len(data) != entry.size:
            raise EntryError(texts.say(texts.DAMAGED, detail="size differs from the directory"))
        if zlib.crc32(data) != entry.crc:
            raise EntryError(texts.say(texts.DAMAGED, detail="bad CRC-32"))
        return bytes(data)

    def _inflate(self, entry: Entry, start: int, data: bytearray) -> None:
        """Append the entry's contents (its data start at ``start``) to ``data``, stopping
        one byte past its declared size: more than it declares is damage, and never worth
        inflating further."""
        if entry.method == _STORED:
            for chunk in self._chunks(start, entry.compressed_size):
                data += chunk
            return
        cap = entry.size + 1
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            for chunk in self._chunks(start, entry.compressed_size):
                # max_length is at least 1 here (0 would mean no limit at all).
                while chunk and len(data) < cap:
                    data += inflater.decompress(chunk, cap - len(data))
                    chunk = inflater.unconsumed_tail
                if len(data) >= cap:
                    detail = "it inflates to more than the directory declares"
                    raise EntryError(texts.say(texts.DAMAGED, detail=detail))
        except zlib.error as exc:
            raise EntryError(texts.say(texts.DAMAGED, detail=f"inflate: {exc}")) from None
        if not inflater.eof:
            raise EntryError(texts.say(texts.DAMAGED, detail="truncated deflate stream"))

    def _chunks(self, start: int, length: int) -> Iterator[bytes]:
        end = start + length
        while start < end:
            chunk = self._pread(min(_CHUNK, end - start), start)
            if not chunk:
                raise EntryError(texts.say(texts.DAMAGED, detail="truncated"))
            start += len(chunk)
            yield chunk


def _extra(
    extra: bytes, raw: bytes, usize: int, csize: int, offset: int
) -> tuple[int, int, int, str | None]:
    """Sizes and offset from the zip64 extra field, and the name from Info-ZIP's Unicode
    path field (when it is for this very name); anything malformed is ignored."""
    unicode_name = None
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + length]
        at += 4 + length
        if tag == 0x0001:  # zip64: only the fields whose 32-bit value is saturated, in order
            values = [v[0] for v in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
        elif (
            tag == 0x7075
            and len(body) > 5
            and body[0] == 1
            and struct.unpack_from("<I", body, 1)[0] == zlib.crc32(raw)
        ):
            with contextlib.suppress(UnicodeDecodeError):
                unicode_name = body[5:].decode("utf-8")
    return usize, csize, offset, unicode_name


def _end_record(tail: bytes) -> int:
    """Where the end of central directory record starts in the archive's ``tail``: the last
    one whose comment ends the file, else the last one that fits (trailing bytes added)."""
    fitting = None
    at = len(tail)
    while (at := tail.rfind(b"PK\x05\x06", 0, at)) >= 0:
        if at + _EOCD.size > len(tail):
            continue
        comment = struct.unpack_from("<H", tail, at + _EOCD.size - 2)[0]
        if at + _EOCD.size + comment == len(tail):
            return at
        fitting = at if fitting is None else fitting
    if fitting is None:
        raise ArchiveError("no end of central directory (a truncated download?)")
    return fitting


def _entry_name(raw: bytes, flags: int, unicode_name: str | None) -> str:
    # Windows tools may separate folders with a backslash; no byte of a cp949 or UTF-8
    # character is one, so it is replaced before decoding (escapes would hold backslashes).
    if unicode_name is not None:
        return decode_name(unicode_name.replace("\\", "/").encode())
    # Flagged UTF-8 or not, the bytes are tried as UTF-8 first; without the flag, a Korean
    # Windows archive holds cp949, and the zip format's own default is cp437.
    return decode_name(raw.replace(b"\\", b"/"), legacy=None if flags & _UTF8_FLAG else "cp437")
