#!/usr/bin/env python3
"""Counts the frames of a SQLite WAL file by the B-tree their page belongs to.

Usage: wal-frames.py COPY-OF-lara.db-wal

Copy the WAL of a running Lara store (`cp lara.db-wal /tmp/wal`) while a benchmark writes, then
run this on the copy. Pages are told apart by their content, so the database itself is not
read: a table leaf whose records have 10 columns is a statement row, an index page whose keys
are (16-byte blob, integer) belongs to the statement-id index (or the small refs/voids
indexes), (integer, integer, integer) is a postings page, (integer, integer) the `stored_us`
index. Frames past the last valid one (an older WAL generation) are ignored.
"""
import collections
import struct
import sys

NAMES = {
    "b16,int": "statement-id index",
    "int,int,int": "postings",
    "int,int": "stored_us index",
    "int,txt,int": "index_keys unique index",
}


def varint(b, i):
    v = 0
    for k in range(8):
        c = b[i + k]
        v = (v << 7) | (c & 0x7F)
        if c < 0x80:
            return v, i + k + 1
    return (v << 8) | b[i + 8], i + 9


def column_kind(serial_type):
    if serial_type == 44:
        return "b16"
    if 1 <= serial_type <= 6 or serial_type in (8, 9):
        return "int"
    if serial_type >= 13 and serial_type % 2:
        return "txt"
    if serial_type >= 12:
        return "blob"
    return str(serial_type)


def classify(page, pgno):
    off = 100 if pgno == 1 else 0
    kind = page[off]
    if kind not in (2, 5, 10, 13):
        return "overflow or free page"
    if kind == 5:
        return "table interior"
    cells = struct.unpack(">H", page[off + 3 : off + 5])[0]
    if cells == 0:
        return "empty b-tree page"
    header = off + (12 if kind == 2 else 8)
    i = struct.unpack(">H", page[header : header + 2])[0]
    try:
        if kind == 2:
            i += 4  # left child
        _, i = varint(page, i)  # payload size
        if kind == 13:
            _, i = varint(page, i)  # rowid
        size, j = varint(page, i)
        types = []
        while j < i + size:
            t, j = varint(page, j)
            types.append(t)
    except IndexError:
        return "unreadable"
    if kind == 13:
        return "statement rows" if len(types) == 10 else f"table leaf ({len(types)} columns)"
    signature = ",".join(column_kind(t) for t in types)
    level = "interior" if kind == 2 else "leaf"
    return f"{NAMES.get(signature, signature)} {level}"


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    page_size = struct.unpack(">I", data[8:12])[0]
    salt = data[16:24]
    counts = collections.Counter()
    frames = commits = 0
    pos = 32
    while pos + 24 + page_size <= len(data):
        head = data[pos : pos + 24]
        if head[8:16] != salt:
            break
        pgno, db_pages = struct.unpack(">II", head[:8])
        counts[classify(data[pos + 24 : pos + 24 + page_size], pgno)] += 1
        frames += 1
        commits += 1 if db_pages else 0
        pos += 24 + page_size
    print(f"page size {page_size}: {frames} frames in {commits} commits")
    for name, n in counts.most_common():
        print(f"{name:40} {n:9} {100 * n / max(frames, 1):5.1f} %")


if __name__ == "__main__":
    main(sys.argv[1])
