#!/usr/bin/env python3
"""Builds the fuzz seed corpus and dictionary for the `request_path` target.

Seeds, one file per input (format: see mock-server/src/fuzzing.rs):
- every fixtures/**/<case>.request.xml, preceded by the requests of its meta.toml `setup` cases,
  each segment starting with the byte of its caller (the meta's `user` or `token`), so the
  `{{item:N}}` placeholders resolve against the setup's answers as in the goldens;
- every exchangelib capture in fuzz/seeds/exchangelib/ (exchangelib 5.6.0's own requests), as
  captured (example.com addresses: the mailbox is unknown) and mapped onto the demo tenant.

The dictionary holds the element and attribute names, namespaces and attribute values found in
those requests, plus the separator and placeholders.

Usage: make_seeds.py OUT_DIR   (writes OUT_DIR/seeds/*.bin and OUT_DIR/ews.dict)
"""

import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEPARATOR = b"\n--ews-fuzz-next-request--\n"
# The caller byte of mock-server/src/fuzzing.rs CALLERS.
CALLERS = {
    "svc-calendar@contoso.com": 0,
    "svc-sales@contoso.com": 1,
    "alfred@contoso.com": 2,
    "app-token": 3,
    "alfred-token": 4,
}
PLAIN_USER = 2  # another mailbox user (chris@) signs in as the fuzz harness's plain user, alfred
EXCHANGELIB_TO_DEMO = [
    (b"alice@example.com", b"alfred@contoso.com"),
    (b"bob@example.com", b"sonyaf@contoso.com"),
    (b"svc@example.com", b"svc-calendar@contoso.com"),
    (b"@example.com", b"@contoso.com"),
]


def caller(meta: dict) -> int:
    who = meta.get("user") or meta.get("token") or "svc-calendar@contoso.com"
    return CALLERS.get(who, PLAIN_USER)


def segment(case: pathlib.Path) -> bytes:
    meta = tomllib.loads(case.with_suffix("").with_suffix(".meta.toml").read_text())
    return bytes([caller(meta)]) + case.read_bytes()


def fixture_seeds():
    fixtures = ROOT / "fixtures"
    for request in sorted(fixtures.glob("**/*.request.xml")):
        meta = tomllib.loads(request.with_suffix("").with_suffix(".meta.toml").read_text())
        parts = [segment(fixtures / f"{name}.request.xml") for name in meta.get("setup", [])]
        parts.append(segment(request))
        name = f"fixture-{request.parent.name}-{request.name.removesuffix('.request.xml')}"
        yield name, SEPARATOR.join(parts)


def exchangelib_seeds():
    for capture in sorted((ROOT / "fuzz" / "seeds" / "exchangelib").glob("*.req.xml")):
        body = capture.read_bytes()
        name = capture.name.removesuffix(".req.xml")
        yield f"exchangelib-{name}-as-captured", bytes([0]) + body
        for old, new in EXCHANGELIB_TO_DEMO:
            body = body.replace(old, new)
        yield f"exchangelib-{name}-demo", bytes([0]) + body


def dictionary(seeds) -> list:
    words = {SEPARATOR, b"{{item:1}}", b"{{ck:1}}", b"{{item:2}}", b"{{folder:1}}", b"{{folderck:1}}"}
    words |= {b"<!DOCTYPE", b"<!ENTITY", b"<![CDATA[", b"]]>", b"&amp;", b"&#x0;", b"xmlns=", b"xmlns:"}
    for _, data in seeds:
        for tag in re.findall(rb"</?([A-Za-z_][\w.:-]*)", data):
            words.add(b"<" + tag)
            words.add(b"</" + tag + b">")
        words.update(m + b'="' for m in re.findall(rb"\s([A-Za-z_][\w.:-]*)=\"", data))
        words.update(b'"' + v + b'"' for v in re.findall(rb'="([^"]{1,60})"', data))
    return sorted(w for w in words if 1 < len(w) <= 64)


def escape(word: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02x}" for b in word)


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    (out / "seeds").mkdir(parents=True, exist_ok=True)
    seeds = list(fixture_seeds()) + list(exchangelib_seeds())
    for name, data in seeds:
        (out / "seeds" / f"{name}.bin").write_bytes(data)
    words = dictionary(seeds)
    (out / "ews.dict").write_text("".join(f'"{escape(w)}"\n' for w in words))
    print(f"make_seeds.py: {len(seeds)} seeds, {len(words)} dictionary words in {out}")


if __name__ == "__main__":
    main()
