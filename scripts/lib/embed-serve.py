#!/usr/bin/env python3
"""wordllama for the knowledge benchmark (scripts/bench-knowledge, BENCHMARKS.md "Knowledge search").

wordllama 0.4.0.post1 (PyPI, MIT) is a static embedding model (256 dimensions, 16 MB, in the
wheel): an embedding is the weighted mean of its tokens' vectors, so it embeds thousands of
texts per second on one core. Run with the python of a venv holding it.

    embed-serve.py serve PORT MODEL
        OpenAI-compatible `POST /v1/embeddings` on 127.0.0.1:PORT answering as MODEL:
        {"model", "input": str | [str]} -> {"object": "list", "data": [{"object": "embedding",
        "index": i, "embedding": [...]}], "model", "usage": {"prompt_tokens", "total_tokens"}}.
        `GET /health` answers 200.

    embed-serve.py corpus OUT_DIR ROOT
        Builds the benchmark's corpus from four Debian documentation packages unpacked by
        `dpkg-deb -x` into ROOT (linux-doc-6.1, python3.11-doc, postgresql-doc-15, perl-doc):
        their prose paragraphs (code, tables and markup dropped), packed into chunks of 50-200
        words within each document, embedded. One paragraph in 20 (by hash) is held out of
        the chunks: its sentences are the queries. Writes to OUT_DIR:
          chunks.tsv     base, title, position, token_count, body (one chunk a line)
          chunks.f32     the chunks' vectors, float32 little-endian, 256 per chunk, same order
          queries.tsv    base, title of the document it was held out of, sentence
          queries.f32    their vectors
          documents.tsv  base, title, text (its chunks joined by blank lines: the ingestion
                         phase adds these through the API)
          bases.tsv      base, account, source package, documents, chunks
          stats.txt      what was read and kept
        Text fields are escaped as in Postgres's COPY text format (\\, \t, \n).
"""

import gzip
import hashlib
import html.parser
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DIMS = 256


def load_model():
    import wordllama
    from wordllama import WordLlama

    # The wheel ships `tokenizers/` where load() looks for `tokenizer/`: pointing the cache at
    # the package itself finds the weights and the tokenizer without any download.
    return WordLlama.load(
        dim=DIMS, cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )


def count_tokens(model, texts):
    enc = model.tokenizer.encode_batch(texts, add_special_tokens=False)
    return [sum(e.attention_mask) for e in enc]


# ---------------------------------------------------------------------------------------------
# serve


def serve(port, model_name):
    model = load_model()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body):
            data = json.dumps(body, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, message):
            self.reply(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def do_GET(self):
            if self.path == "/health":
                self.reply(200, {"status": "ok"})
            elif self.path in ("/v1/models", "/models"):
                self.reply(200, {"object": "list", "data": [{"id": model_name, "object": "model"}]})
            else:
                self.error(404, "not found")

        def do_POST(self):
            if self.path not in ("/v1/embeddings", "/embeddings"):
                self.error(404, "not found")
                return
            try:
                length = int(self.headers.get("content-length") or 0)
                req = json.loads(self.rfile.read(length) or b"{}")
            except (ValueError, OSError):
                self.error(400, "the body is not JSON")
                return
            texts = req.get("input") if isinstance(req, dict) else None
            if isinstance(texts, str):
                texts = [texts]
            if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
                self.error(400, "`input` must be a string or a non-empty array of strings")
                return
            vectors = model.embed(texts, norm=True, batch_size=256)
            tokens = sum(count_tokens(model, texts))
            self.reply(
                200,
                {
                    "object": "list",
                    "data": [
                        {"object": "embedding", "index": i, "embedding": [round(float(x), 7) for x in v]}
                        for i, v in enumerate(vectors)
                    ],
                    "model": req.get("model") or model_name,
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"wordllama {DIMS}-d serving {model_name} on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    server.serve_forever()


# ---------------------------------------------------------------------------------------------
# corpus: text extraction

ADMONITIONS = {
    "note", "warning", "attention", "caution", "danger", "error", "hint", "important", "tip",
    "seealso", "versionadded", "versionchanged", "deprecated", "admonition", "topic", "sidebar",
    "rubric", "epigraph", "highlights", "pull-quote", "only", "container",
}
# Directives describing an API (Python's and the kernel's C domain): the signature line is
# dropped, the indented description is prose and kept.
DESCRIPTIONS = {
    "function", "method", "class", "attribute", "data", "exception", "decorator", "decoratormethod",
    "classmethod", "staticmethod", "describe", "envvar", "option", "cmdoption", "opcode",
    "pdbcommand", "module", "currentmodule", "c:function", "c:type", "c:macro", "c:member",
    "c:struct", "c:union", "c:enum", "c:var", "c:data", "c:enumerator", "py:function",
    "py:method", "py:class", "py:attribute", "py:data", "py:exception", "abstractmethod",
    "coroutinefunction", "coroutinemethod", "awaitablefunction", "awaitablemethod", "property",
}
ADORNMENT = re.compile(r"([=\-~^\"'`#*+_.:<>])\1{2,}")
SIMPLE_TABLE = re.compile(r"=+( +=+)+")
ROLE = re.compile(r":[\w:+.-]+:`([^`]*)`")
LINK = re.compile(r"`([^`<]*?)\s*<[^>`]*>`_{1,2}")
REF = re.compile(r"`([^`]+)`_{1,2}")
LITERAL = re.compile(r"``([^`]+)``")
INTERPRETED = re.compile(r"`([^`]+)`")
EMPHASIS = re.compile(r"\*{1,2}([^*\s][^*]*?)\*{1,2}")
FOOTNOTE = re.compile(r"\s*\[(#|\*|\d+|#\w+)\]_")
BULLET = re.compile(r"^(?:[-*+\u2022]|#\.|\(?\d+[.)]|\(?[a-zA-Z][.)])\s+")
FIELD = re.compile(r"^:[\w .()-]+:\s*")
CODE_LINE = re.compile(r"(;\s*$|^\s*[{}]|[{}]\s*$|^\s*#\s*(define|include|if)|\w->\w|==|\|\||&&|^\s*\$ |^\s*>>> )")
WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*[A-Za-z.,;:!?)]*$")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


def inline(text):
    text = ROLE.sub(lambda m: re.sub(r"\s*<[^>]*>$", "", m.group(1)).lstrip("~!"), text)
    text = LINK.sub(r"\1", text)
    text = REF.sub(r"\1", text)
    text = LITERAL.sub(r"\1", text)
    text = INTERPRETED.sub(r"\1", text)
    text = EMPHASIS.sub(r"\1", text)
    text = FOOTNOTE.sub("", text)
    text = text.replace("\\ ", "").replace("|", "")
    return re.sub(r"\s+", " ", text).strip()


def prose(lines):
    """The paragraph as one line of text, or None when it is not prose (code, tables, lists of
    identifiers)."""
    if not lines:
        return None
    code = sum(1 for l in lines if CODE_LINE.search(l))
    if code * 3 > len(lines):
        return None
    text = inline(" ".join(BULLET.sub("", FIELD.sub("", l.strip())) for l in lines))
    words = text.split()
    if len(words) < 6:
        return None
    wordlike = sum(1 for w in words if WORD.match(w))
    if wordlike < 0.7 * len(words) or not re.search(r"[a-z]{3}", text):
        return None
    return text


def rst_paragraphs(text):
    """Prose paragraphs of reStructuredText (or plain text in the kernel's style); a section
    title is kept as a paragraph of its own (it joins the next one in a chunk)."""
    out = []
    cur = []
    skip_deeper_than = None

    def flush():
        p = prose(cur)
        if p:
            out.append(p)
        cur.clear()

    for raw in text.splitlines():
        line = raw.expandtabs(8).rstrip()
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_deeper_than is not None:
            if not stripped or indent > skip_deeper_than:
                continue
            skip_deeper_than = None
        if not stripped:
            flush()
            continue
        if stripped.startswith(".."):
            flush()
            m = re.match(r"\.\.\s+([\w:-]+)::\s*(.*)", stripped)
            if m and m.group(1) in DESCRIPTIONS:
                continue
            if m and m.group(1) in ADMONITIONS:
                if m.group(2) and m.group(1) not in ("versionadded", "versionchanged", "deprecated"):
                    cur.append(m.group(2))
                continue
            skip_deeper_than = indent
            continue
        if ADORNMENT.fullmatch(stripped):
            # A title's underline (or overline): the title so far is a paragraph of its own.
            if cur and len(cur) == 1:
                title = inline(cur[0])
                cur.clear()
                if re.search(r"[A-Za-z]{3}", title):
                    out.append(titled(title))
            else:
                flush()
            continue
        if stripped.startswith(("+-", "+=", "|")) or SIMPLE_TABLE.fullmatch(stripped):
            flush()
            continue
        if cur and indent > 0 and BULLET.match(stripped) is None and stripped.startswith((">>>", "$ ", "# ")):
            flush()
            skip_deeper_than = indent - 1
            continue
        if BULLET.match(stripped) and cur:
            flush()
        cur.append(stripped)
        if stripped.endswith("::"):
            # A literal block follows, indented: drop it.
            cur[-1] = stripped[:-1] if stripped != "::" else ""
            flush()
            skip_deeper_than = indent
    flush()
    return merge_titles(out)


def titled(title):
    """A section title as a sentence of its own."""
    title = title.rstrip(" .:")
    return title if title.endswith(("?", "!")) else title + "."


def merge_titles(paragraphs):
    """Section titles (shorter than any prose paragraph) are glued to the next paragraph."""
    merged = []
    pending = ""
    for p in paragraphs:
        if len(p.split()) < 6:
            pending = (pending + " " + p).strip()
            continue
        merged.append((pending + " " + p).strip() if pending else p)
        pending = ""
    return merged


class HtmlText(html.parser.HTMLParser):
    """PostgreSQL's DocBook HTML: text of p, li, dt, dd and titles; no pre, tables or
    navigation."""

    BLOCKS = {"p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "div", "blockquote"}
    SKIP = {"pre", "table", "script", "style", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []
        self.cur = []
        self.skip = 0
        self.nav = 0
        self.stack = []

    def flush(self):
        text = re.sub(r"\s+", " ", "".join(self.cur)).strip()
        self.cur = []
        if text:
            self.paragraphs.append(text)

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        navish = tag == "div" and ("navheader" in cls or "navfooter" in cls or "toc" in cls.split())
        self.stack.append((tag, navish))
        if navish:
            self.nav += 1
        if tag in self.SKIP:
            self.skip += 1
        if tag in self.BLOCKS:
            self.flush()
        if tag == "br":
            self.cur.append(" ")

    def handle_endtag(self, tag):
        # Tolerant: pop to the matching tag.
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for t, navish in self.stack[i:]:
                    if navish:
                        self.nav -= 1
                    if t in self.SKIP:
                        self.skip -= 1
                del self.stack[i:]
                break
        if tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.skip and not self.nav:
            self.cur.append(data)


def html_paragraphs(text):
    parser = HtmlText()
    parser.feed(text)
    parser.close()
    parser.flush()
    out = []
    for p in parser.paragraphs:
        words = p.split()
        if len(words) < 6:
            if 1 <= len(words) < 12 and re.search(r"[A-Za-z]{3}", p):
                out.append(titled(p))  # a title: glued to the next paragraph
            continue
        wordlike = sum(1 for w in words if WORD.match(w))
        if wordlike >= 0.7 * len(words):
            out.append(p)
    return merge_titles(out)


def html_title(text):
    m = re.search(r"<title>(.*?)</title>", text, re.S)
    return re.sub(r"\s+", " ", html.unescape(m.group(1))).strip() if m else None


# ---------------------------------------------------------------------------------------------
# corpus: documents, chunks, bases

MIN_WORDS, FLUSH_WORDS, MAX_WORDS = 50, 64, 200


def split_long(paragraph):
    """A paragraph of more than MAX_WORDS, cut at sentence ends (words as a last resort)."""
    pieces, cur = [], []
    for sentence in SENTENCE_END.split(paragraph):
        words = sentence.split()
        while len(words) > MAX_WORDS:
            if cur:
                pieces.append(" ".join(cur))
                cur = []
            pieces.append(" ".join(words[:MAX_WORDS]))
            words = words[MAX_WORDS:]
        if len(cur) + len(words) > MAX_WORDS:
            pieces.append(" ".join(cur))
            cur = []
        cur.extend(words)
    if cur:
        pieces.append(" ".join(cur))
    return pieces


def chunk(paragraphs):
    """Paragraphs packed into chunks of MIN_WORDS..MAX_WORDS words: a chunk closes once it has
    FLUSH_WORDS; a short tail joins the chunk before it when it fits, or is dropped."""
    chunks, cur, n = [], [], 0
    for para in paragraphs:
        for piece in split_long(para) if len(para.split()) > MAX_WORDS else [para]:
            w = len(piece.split())
            if cur and n + w > MAX_WORDS:
                chunks.append((cur, n))
                cur, n = [], 0
            cur.append(piece)
            n += w
            if n >= FLUSH_WORDS:
                chunks.append((cur, n))
                cur, n = [], 0
    if cur:
        if n >= MIN_WORDS:
            chunks.append((cur, n))
        elif chunks and chunks[-1][1] + n <= MAX_WORDS:
            last, m = chunks.pop()
            chunks.append((last + cur, m + n))
    return ["\n\n".join(c) for c, n in chunks if n >= MIN_WORDS]


def read_gz_or_text(path):
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8", "replace")


def one(root, pattern):
    found = sorted(root.glob(pattern))
    if not found:
        raise SystemExit(f"{root}/{pattern}: not found (is the package unpacked there?)")
    return found[-1]


def linux_documents(root):
    """The kernel's Documentation/ (reStructuredText and plain text), English only: no
    translations, no devicetree bindings (YAML schemas), no ABI (field lists)."""
    docs = one(root, "usr/share/doc/linux-doc-*/Documentation")
    for path in sorted(docs.rglob("*")):
        rel = path.relative_to(docs).as_posix()
        name = rel[:-3] if rel.endswith(".gz") else rel
        if not (name.endswith(".rst") or name.endswith(".txt")):
            continue
        if rel.split("/")[0] in ("translations", "devicetree", "ABI", "sphinx", "sphinx-static"):
            continue
        yield "linux: " + name, rst_paragraphs(read_gz_or_text(path))


def python_documents(root):
    """Python's documentation (its reStructuredText sources as Sphinx ships them), without the
    changelog (a list of issue titles) and the legal pages."""
    sources = one(root, "usr/share/doc/python3.*/html/_sources")
    for path in sorted(sources.rglob("*.rst.txt")):
        rel = path.relative_to(sources).as_posix()[: -len(".rst.txt")]
        if rel in ("whatsnew/changelog", "license", "bugs", "copyright", "contents", "glossary"):
            continue
        yield "python: " + rel, rst_paragraphs(path.read_text("utf-8", "replace"))


def postgres_documents(root):
    """PostgreSQL's documentation (DocBook HTML)."""
    for path in sorted(one(root, "usr/share/doc/postgresql-doc-*/html").glob("*.html")):
        text = path.read_text("utf-8", "replace")
        title = html_title(text) or path.stem
        yield "postgresql: " + path.stem + " (" + title + ")", html_paragraphs(text)


POD_CODE = re.compile(r"[A-Z](<<+)\s(.*?)\s\1", re.S)


def pod_inline(text):
    text = re.sub(r"X<+[^>]*>+", "", text)
    text = POD_CODE.sub(lambda m: m.group(2), text.replace("\n", " "))
    for _ in range(4):  # nested codes, innermost first
        text = re.sub(r"L<([^<>|]*)\|[^<>]*>", r"\1", text)
        text = re.sub(r"L<\"?([^<>]*?)\"?>", lambda m: m.group(1).replace('/"', " ").replace('"', ""), text)
        text = re.sub(r"E<lt>", "<", text)
        text = re.sub(r"E<gt>", ">", text)
        text = re.sub(r"E<[^<>]*>", "", text)
        text = re.sub(r"[BICFSZ]<([^<>]*)>", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def pod_paragraphs(text):
    """Perl's POD: ordinary paragraphs and titles (=head, =item); verbatim (indented) paragraphs
    and =begin/=for blocks dropped."""
    out, skipping = [], False
    for para in re.split(r"\n\s*\n", text):
        if not para.strip():
            continue
        if para.startswith("="):
            command, _, rest = para[1:].partition(" ")
            command = command.split("\n")[0]
            if command == "begin":
                skipping = True
            elif command == "end":
                skipping = False
            elif command in ("head1", "head2", "head3", "head4", "item") and not skipping:
                title = pod_inline(rest)
                if re.search(r"[A-Za-z]{3}", title) and title.upper() != title:
                    out.append(titled(title))
            continue
        if skipping or para[0] in " \t":
            continue
        lines = para.splitlines()
        if sum(1 for l in lines if CODE_LINE.search(l)) * 3 > len(lines):
            continue
        p = prose([pod_inline(para)])
        if p:
            out.append(p)
    return merge_titles(out)


def perl_documents(root):
    """Perl's documentation (the perl*.pod pages)."""
    for path in sorted(one(root, "usr/share/perl/5.*/pod").glob("*.pod")):
        yield "perl: " + path.stem, pod_paragraphs(path.read_text("utf-8", "replace"))


def base_of(source, title):
    """Accounts and bases (all of one dimension, so they share one HNSW index):
    - acme: `kernel`, the Linux kernel's documentation (the big base);
    - globex: `python-library` (the standard library's reference), `python-guides` (the rest of
      the Python documentation, a small base);
    - initech: `postgresql`;
    - umbrella: `perl` (Perl's manual pages), `perl-faq` (its FAQ, a tiny base).
    """
    if source == "linux":
        return "acme", "kernel"
    if source == "python":
        return "globex", "python-library" if title.startswith("python: library/") else "python-guides"
    if source == "perl":
        return "umbrella", "perl-faq" if title.startswith("perl: perlfaq") else "perl"
    return "initech", "postgresql"


def held_out(title, paragraph):
    """One paragraph in 20, chosen by its hash, is held out of the chunks: its sentences are
    the queries (text the base is about, but not in it)."""
    return int(hashlib.sha256((title + "\n" + paragraph).encode()).hexdigest()[:8], 16) % 20 == 0


def tsv(*fields):
    return "\t".join(
        str(f).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", " ")
        for f in fields
    ) + "\n"


def query_sentences(paragraph):
    """Real sentences of a held-out paragraph fit to be a query: 8 to 40 words of prose; the
    first two."""
    out = []
    for s in SENTENCE_END.split(paragraph):
        words = s.split()
        if 8 <= len(words) <= 40 and s.endswith((".", "?")) and sum(1 for w in words if WORD.match(w)) >= 0.85 * len(words):
            out.append(s)
    return out[:2]


def corpus(out_dir, root):
    import numpy as np

    started = time.time()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = load_model()
    sources = [
        ("linux", linux_documents(Path(root))),
        ("python", python_documents(Path(root))),
        ("postgresql", postgres_documents(Path(root))),
        ("perl", perl_documents(Path(root))),
    ]
    chunk_rows, query_rows, bases = [], [], {}
    doc_file = (out / "documents.tsv").open("w", encoding="utf-8")
    read = {s: 0 for s, _ in sources}
    for source, documents in sources:
        for title, paragraphs in documents:
            read[source] += 1
            account, base = base_of(source, title)
            info = bases.setdefault(base, {"account": account, "source": source, "documents": 0, "chunks": 0})
            title = title[:300]
            kept = []
            for p in paragraphs:
                if held_out(title, p):
                    query_rows.extend((base, title, s) for s in query_sentences(p))
                else:
                    kept.append(p)
            chunks = chunk(kept)
            if not chunks:
                continue
            info["documents"] += 1
            info["chunks"] += len(chunks)
            doc_file.write(tsv(base, title, "\n\n".join(chunks)))
            chunk_rows.extend((base, title, i, c) for i, c in enumerate(chunks))
    doc_file.close()
    extracted = time.time()

    def embed(texts):
        vectors = np.empty((len(texts), DIMS), dtype="<f4")
        for i in range(0, len(texts), 4096):
            vectors[i : i + 4096] = model.embed(texts[i : i + 4096], norm=True, batch_size=256)
        return vectors

    texts = [c for _, _, _, c in chunk_rows]
    vectors = embed(texts)
    tokens = count_tokens(model, texts)
    embedded = time.time()
    with (out / "chunks.tsv").open("w", encoding="utf-8") as f:
        for (base, title, pos, body), n in zip(chunk_rows, tokens):
            f.write(tsv(base, title, pos, n, body))
    vectors.tofile(out / "chunks.f32")
    qvec = embed([q for _, _, q in query_rows])
    with (out / "queries.tsv").open("w", encoding="utf-8") as f:
        for base, title, q in query_rows:
            f.write(tsv(base, title, q))
    qvec.tofile(out / "queries.f32")
    with (out / "bases.tsv").open("w", encoding="utf-8") as f:
        for base, info in bases.items():
            f.write(tsv(base, info["account"], info["source"], info["documents"], info["chunks"]))
    words = [len(t.split()) for t in texts]
    words.sort()
    stats = [
        f"files read: " + ", ".join(f"{s} {n}" for s, n in read.items()),
        f"chunks: {len(texts)} from {sum(b['documents'] for b in bases.values())} documents; "
        f"words per chunk min {words[0]} p50 {words[len(words) // 2]} max {words[-1]}, "
        f"total {sum(words)}",
        "bases: " + ", ".join(f"{b} ({i['account']}) {i['chunks']}" for b, i in bases.items()),
        f"queries: {len(query_rows)} sentences of held-out paragraphs",
        f"extract {extracted - started:.1f} s; embed {len(texts)} chunks in {embedded - extracted:.1f} s "
        f"({len(texts) / max(embedded - extracted, 1e-9):.0f} chunks/s, wordllama {DIMS}-d, one process)",
    ]
    (out / "stats.txt").write_text("\n".join(stats) + "\n")
    print("\n".join(stats), file=sys.stderr)


def main(argv):
    if len(argv) == 4 and argv[1] == "serve":
        serve(int(argv[2]), argv[3])
    elif len(argv) == 4 and argv[1] == "corpus":
        corpus(*argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
