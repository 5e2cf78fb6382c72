"""Drives /v1 with the official `openai` package, unmodified, as a user's code would.
Prints one line per check; any failure raises (non-zero exit)."""

import os

import openai

client = openai.OpenAI(base_url=os.environ["PN_BASE"], api_key=os.environ["PN_KEY"], max_retries=0)

ids = {m.id for m in client.models.list()}
assert {"smollm2", "e5-small"} <= ids, ids
print("models ok")

done = client.chat.completions.create(
    model="smollm2", messages=[{"role": "user", "content": "Say hello."}], max_tokens=12
)
assert done.choices[0].message.content, done
assert done.usage.prompt_tokens > 0 and 0 < done.usage.completion_tokens <= 12, done.usage
print("chat ok")

pieces, usage = [], None
for chunk in client.chat.completions.create(
    model="smollm2",
    messages=[{"role": "user", "content": "Count to three."}],
    max_tokens=12,
    stream=True,
    stream_options={"include_usage": True},
):
    if chunk.usage:
        usage = chunk.usage
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
assert len(pieces) >= 2 and usage and usage.completion_tokens > 0, (pieces, usage)
print("stream ok")

emb = client.embeddings.create(model="e5-small", input=["hello", "world"])
assert len(emb.data) == 2 and len(emb.data[0].embedding) == 384
print("embeddings ok")

try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    raise SystemExit("an unknown model must fail")
except openai.APIStatusError as e:
    assert e.status_code == 422 and "no-such-model" in str(e), e
print("errors ok")
