#!/usr/bin/env python3
"""Shortens the function names of a built Worker's wasm, in place: usage wasm-names.py FILE.

The `name` custom section gives workerd's stack traces their function names. rustc writes
them with a symbol hash (`powernode_api::Api::handle::{{closure}}::h0fd54e0aa3b0a840`) and,
for the standard library, crate disambiguators (`core[c5930c85a12de822]::fmt::write`). Those
hex digits are random, so gzip cannot shrink them: in the API Worker they were 72 KB of its
gzip size (BENCHMARKS.md, "Edge bundles"). They only tell apart two copies of the same
generic function, which a stack trace can do without; the readable path stays.

Only the function-name subsection changes; every other section is copied byte for byte.
Running it twice changes nothing the second time.
"""

import os
import re
import sys

# wasm-bindgen names its shims after the import they wrap ("...::h<hash> catch wrapper") and
# appends [1], [2] to duplicate names.
HASH = re.compile(rb"::h[0-9a-f]{16}(?=$|\[| )")
CRATE_DISAMBIGUATOR = re.compile(rb"\[[0-9a-f]{16}\]")


def read_leb(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def leb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sized(payload):
    return leb(len(payload)) + payload


def shorten_function_names(subsection):
    count, pos = read_leb(subsection, 0)
    out = bytearray(leb(count))
    for _ in range(count):
        index, pos = read_leb(subsection, pos)
        length, pos = read_leb(subsection, pos)
        name = subsection[pos:pos + length]
        pos += length
        name = CRATE_DISAMBIGUATOR.sub(b"", HASH.sub(b"", name))
        out += leb(index) + sized(name)
    if pos != len(subsection):
        raise ValueError("function-name subsection has trailing bytes")
    return bytes(out)


def rewrite_name_section(payload):
    out = bytearray()
    pos = 0
    while pos < len(payload):
        kind = payload[pos]
        size, start = read_leb(payload, pos + 1)
        body = payload[start:start + size]
        if kind == 1:  # function names
            body = shorten_function_names(body)
        out += bytes([kind]) + sized(body)
        pos = start + size
    return bytes(out)


def main(path):
    data = open(path, "rb").read()
    if data[:8] != b"\0asm\1\0\0\0":
        raise ValueError(f"{path} is not a wasm module")
    out = bytearray(data[:8])
    pos = 8
    while pos < len(data):
        section_id = data[pos]
        size, start = read_leb(data, pos + 1)
        end = start + size
        if end > len(data):
            raise ValueError(f"{path}: section {section_id} runs past the end")
        if section_id == 0:
            name_len, name_start = read_leb(data, start)
            if data[name_start:name_start + name_len] == b"name":
                payload = rewrite_name_section(data[name_start + name_len:end])
                out += b"\0" + sized(sized(b"name") + payload)
                pos = end
                continue
        out += data[pos:end]
        pos = end
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)
    print(f"{path}: {len(data)} -> {len(out)} bytes", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: wasm-names.py FILE.wasm")
    main(sys.argv[1])
