#!/usr/bin/env python3
"""Writes psk.json: known-answer vectors for the psk plaintext format, from the contract text alone.

`psk_<env>_<id22><secret22>`: <env> is lowercase ASCII letters; <id22> is the token's UUID (16 bytes,
big-endian) and <secret22> 16 bytes, each in base62 (alphabet 0-9A-Za-z) left-padded with '0' to 22
characters. This is Python's own integer arithmetic, so the file is an oracle for the Rust core and the
emulator alike (neither implementation is consulted). Run it from anywhere: python3 tests/vectors/psk.py
"""

import json
import pathlib
import uuid

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WIDTH = 22


def b62_unchecked(n: int) -> str:
    digits = ""
    while n:
        n, r = divmod(n, 62)
        digits = ALPHABET[r] + digits
    return digits.rjust(WIDTH, "0")


def b62(n: int) -> str:
    assert 0 <= n < 2**128
    return b62_unchecked(n)


def from_b62(s: str) -> int:
    n = 0
    for c in s:
        n = n * 62 + ALPHABET.index(c)
    return n


UUIDS = [
    "00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-000000000001",
    "00000000-0000-0000-0000-00000000003d",  # 61: the last one-digit value
    "00000000-0000-0000-0000-00000000003e",  # 62: the first two-digit value
    "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3",
    "123e4567-e89b-12d3-a456-426614174000",
    "80000000-0000-0000-0000-000000000000",  # 2^127: the top bit alone
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
]

EXAMPLES = [
    ("prod", "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3", "07" * 16),
    ("dev", "00000000-0000-0000-0000-000000000001", "00" * 16),
    ("stage", "ffffffff-ffff-ffff-ffff-ffffffffffff", "ff" * 16),
    ("prod", "123e4567-e89b-12d3-a456-426614174000", "000102030405060708090a0b0c0d0e0f"),
    # Any run of lowercase letters is a recognizable env; only the issue API limits it to three.
    ("sandbox", "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3", "deadbeef00112233445566778899aabb"),
]


def plaintext(env: str, u: str, secret_hex: str) -> str:
    return f"psk_{env}_{b62(uuid.UUID(u).int)}{b62(int(secret_hex, 16))}"


def main() -> None:
    good = plaintext("prod", "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3", "07" * 16)
    body = good[len("psk_prod_"):]
    two128 = b62_unchecked(2**128)
    assert from_b62(two128) == 2**128 and len(two128) == WIDTH
    malformed = [
        ("", "empty"),
        ("pat_prod_" + body, "wrong prefix"),
        ("PSK_prod_" + body, "prefix is case-sensitive"),
        ("psk_PROD_" + body, "uppercase env"),
        ("psk__" + body, "empty env"),
        ("psk_prod2_" + body, "a digit in the env"),
        ("psk_prod" + body, "no underscore after the env"),
        ("psk_prod_" + body[:-1], "43 characters after the env"),
        ("psk_prod_" + body + "0", "45 characters after the env"),
        ("psk_prod_" + body[:3] + "-" + body[4:], "a '-' in the body"),
        ("psk_prod_" + body[:3] + "_" + body[4:], "a '_' in the body"),
        ("psk_prod_" + body[:43] + "=", "an '=' in the body"),
        ("psk_prod_" + "z" * 22 + body[22:], "id of 22 'z's is >= 2^128"),
        ("psk_prod_" + body[:22] + "z" * 22, "secret of 22 'z's is >= 2^128"),
        ("psk_prod_" + two128 + body[22:], "id equal to 2^128"),
        ("psk_prod_" + body[:22] + two128, "secret equal to 2^128"),
        ("psk_prod_" + body[:42] + "é", "a non-ASCII character (44 bytes, 43 characters)"),
        (" " + good, "leading space"),
        (good + "\n", "trailing newline"),
    ]
    doc = {
        "about": "Known-answer vectors for psk_<env>_<id22><secret22> (CONTRACT.md, 'The psk plaintext "
        "format'), computed by psk.py with Python integers. Read by core/tests/psk_vectors.rs and "
        "tests/emulator/tests/vectors.rs.",
        "alphabet": ALPHABET,
        "uuids": [{"uuid": u, "id22": b62(uuid.UUID(u).int)} for u in UUIDS],
        "plaintexts": [
            {"plaintext": plaintext(e, u, s), "env": e, "id": u, "secret_hex": s} for e, u, s in EXAMPLES
        ],
        "malformed": [{"plaintext": p, "why": w} for p, w in malformed],
    }
    out = pathlib.Path(__file__).with_name("psk.json")
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
