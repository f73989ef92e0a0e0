#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz_idx target to fuzz/corpus/idx/ (checked in; rerun after changes).

Seed format (docs/fuzzing.md): 2-byte big-endian length L of the label part, the label file (L bytes),
then the image file (all remaining bytes). The files are tiny IDX files: valid ones, a few invalid ones,
and gzip-compressed ones (which load through the target's "raw .gz" mode).
"""
import gzip
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "idx")


def images(count, rows, cols, seed=1):
    body = bytes((seed * 31 + i * 7) & 0xFF for i in range(count * rows * cols))
    return struct.pack(">IIII", 0x803, count, rows, cols) + body


def labels(values):
    return struct.pack(">II", 0x801, len(values)) + bytes(values)


def seed(lab, img):
    return struct.pack(">H", len(lab)) + lab + img


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


SEEDS = {
    # valid
    "valid_1x1x1": seed(labels([3]), images(1, 1, 1)),
    "valid_3x4x4": seed(labels([0, 5, 9]), images(3, 4, 4)),
    "valid_2x3x5": seed(labels([1, 2]), images(2, 3, 5, seed=7)),
    "valid_1x28x28": seed(labels([7]), images(1, 28, 28)),
    # valid content, gzip-compressed (two members for the images, like `cat a.gz b.gz`)
    "gzip_2x4x4": seed(gz(labels([4, 8])), gz(images(2, 4, 4)[:20]) + gz(images(2, 4, 4)[20:])),
    # invalid
    "invalid_label_10": seed(labels([1, 10]), images(2, 2, 2)),
    "invalid_count_mismatch": seed(labels([1, 2, 3]), images(2, 2, 2)),
    "invalid_truncated_images": seed(labels([1, 2]), images(2, 3, 3)[:-1]),
    "invalid_trailing_labels": seed(labels([1]) + b"\x00", images(1, 2, 2)),
    "invalid_swapped_magic": seed(images(1, 1, 1), labels([1])),
    "invalid_huge_header": seed(labels([0]), struct.pack(">IIII", 0x803, 100000000, 4096, 4096)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    total = sum(len(d) for d in SEEDS.values())
    print(f"wrote {len(SEEDS)} seeds, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
