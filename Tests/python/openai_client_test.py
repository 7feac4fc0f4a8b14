#!/usr/bin/env python3
"""Drives a running lituv-example with the official `openai` Python client.

    python3 Tests/python/openai_client_test.py --base-url http://127.0.0.1:8000/v1 [--model tiny-lm|embed]

Without --model, the models listed by GET /v1/models choose the checks: chat checks for `tiny-lm`, embedding
checks for `embed`. Prints one line per check and ends with `N passed, N failed`; exits 1 when a check failed
(or none ran). Tests/LitUVTests/OpenAIClientTests.swift runs it with the venv made by scripts/setup-python.
"""

import argparse
import base64
import json
import math
import struct
import sys
import traceback

import openai

CHECKS = {"tiny-lm": [], "embed": []}


def check(model):
    def register(function):
        CHECKS[model].append(function)
        return function

    return register


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_bad_request(call, param):
    try:
        call()
    except openai.BadRequestError as error:
        expect(error.status_code == 400, f"status {error.status_code}")
        expect(error.param == param, f"param {error.param!r}, expected {param!r}")
        expect(error.type == "invalid_request_error", f"type {error.type!r}")
        expect(isinstance(error.body, dict) and error.body.get("message"), f"body {error.body!r}")
        return
    raise AssertionError("no BadRequestError")


USER = [{"role": "user", "content": "Down the rabbit-hole went Alice"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}


# MARK: chat


@check("tiny-lm")
def models_lists_the_chat_model(client):
    models = client.models.list()
    ids = [model.id for model in models.data]
    expect("tiny-lm" in ids, f"models {ids}")
    expect(all(model.object == "model" and model.owned_by == "lituv" for model in models.data), models)


@check("tiny-lm")
def plain_chat_completion(client):
    completion = client.chat.completions.create(model="tiny-lm", messages=USER, max_tokens=40, seed=7)
    expect(completion.object == "chat.completion", completion.object)
    expect(completion.id.startswith("chatcmpl-"), completion.id)
    expect(completion.model == "tiny-lm", completion.model)
    expect(len(completion.choices) == 1, completion.choices)
    choice = completion.choices[0]
    expect(choice.index == 0 and choice.message.role == "assistant", choice)
    expect(isinstance(choice.message.content, str) and choice.message.content.strip(), choice.message)
    expect(choice.finish_reason in ("stop", "length"), choice.finish_reason)
    usage = completion.usage
    expect(usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, usage)
    expect(usage.prompt_tokens == 5, usage)
    expect(0 < usage.completion_tokens <= 40, usage)
    again = client.chat.completions.create(model="tiny-lm", messages=USER, max_tokens=40, seed=7)
    expect(again.choices[0].message.content == choice.message.content, "deterministic for the same seed")
    expect(again.id != completion.id, "a new id per completion")


@check("tiny-lm")
def max_completion_tokens_ends_with_length(client):
    completion = client.chat.completions.create(
        model="tiny-lm", messages=USER, max_completion_tokens=3, temperature=0)
    expect(completion.choices[0].finish_reason == "length", completion.choices[0].finish_reason)
    expect(completion.usage.completion_tokens == 3, completion.usage)
    expect(len(completion.choices[0].message.content.split()) == 3, completion.choices[0].message.content)


@check("tiny-lm")
def streamed_chat_shares_one_id_and_ends_with_usage(client):
    whole = client.chat.completions.create(model="tiny-lm", messages=USER, max_tokens=30, seed=3)
    stream = client.chat.completions.create(
        model="tiny-lm", messages=USER, max_tokens=30, seed=3, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    expect(len(chunks) >= 3, f"{len(chunks)} chunks")
    ids = {chunk.id for chunk in chunks}
    expect(len(ids) == 1, f"{len(ids)} ids: every chunk must share one id")
    expect(all(chunk.object == "chat.completion.chunk" for chunk in chunks), "chunk objects")
    expect(len({chunk.created for chunk in chunks}) == 1, "one created time")
    expect(chunks[0].choices[0].delta.role == "assistant", chunks[0])
    finishing = [chunk for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason]
    expect(len(finishing) == 1, f"{len(finishing)} chunks with a finish_reason")
    expect(finishing[0].choices[0].finish_reason == whole.choices[0].finish_reason, finishing[0])
    last = chunks[-1]
    expect(last.choices == [] and last.usage is not None, last)
    expect(all(chunk.usage is None for chunk in chunks[:-1]), "usage only in the last chunk")
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    expect(text == whole.choices[0].message.content, f"{text!r} != {whole.choices[0].message.content!r}")
    expect(last.usage.completion_tokens == whole.usage.completion_tokens, last.usage)
    expect(last.usage.prompt_tokens == whole.usage.prompt_tokens, last.usage)


@check("tiny-lm")
def streamed_chat_without_usage_has_no_usage_chunk(client):
    chunks = list(client.chat.completions.create(model="tiny-lm", messages=USER, max_tokens=5, stream=True))
    expect(len({chunk.id for chunk in chunks}) == 1, "one id")
    expect(all(chunk.usage is None for chunk in chunks), "no usage")
    expect(chunks[-1].choices[0].finish_reason == "length", chunks[-1])


@check("tiny-lm")
def stop_sequences_cut_the_answer(client):
    whole = client.chat.completions.create(model="tiny-lm", messages=USER, max_tokens=20, temperature=0)
    words = whole.choices[0].message.content.split()
    expect(len(words) >= 4, words)
    stop = " " + words[3]
    cut = client.chat.completions.create(model="tiny-lm", messages=USER, max_tokens=20, temperature=0, stop=[stop])
    expected = whole.choices[0].message.content.split(stop)[0]
    expect(cut.choices[0].message.content == expected, f"{cut.choices[0].message.content!r} != {expected!r}")
    expect(cut.choices[0].finish_reason == "stop", cut.choices[0].finish_reason)


@check("tiny-lm")
def content_parts_and_other_roles_are_accepted(client):
    messages = [
        {"role": "system", "content": "You are a rabbit."},
        {"role": "user", "content": [{"type": "text", "text": "Tell me about"}, {"type": "text", "text": "Alice"}]},
    ]
    completion = client.chat.completions.create(
        model="tiny-lm", messages=messages, max_tokens=8, user="u-1", metadata={"k": "v"}, top_p=0.9)
    expect(completion.choices[0].message.content, completion)


@check("tiny-lm")
def json_response_format_answers_json(client):
    completion = client.chat.completions.create(
        model="tiny-lm", messages=USER, max_tokens=12, response_format={"type": "json_object"})
    document = json.loads(completion.choices[0].message.content)
    expect(isinstance(document.get("text"), str) and document["text"], document)


@check("tiny-lm")
def tool_calls_in_a_whole_answer(client):
    completion = client.chat.completions.create(
        model="tiny-lm", messages=USER, tools=[WEATHER_TOOL], tool_choice="required", seed=5)
    choice = completion.choices[0]
    expect(choice.finish_reason == "tool_calls", choice.finish_reason)
    expect(choice.message.content is None, choice.message.content)
    calls = choice.message.tool_calls
    expect(len(calls) == 1, calls)
    expect(calls[0].type == "function" and calls[0].id.startswith("call_"), calls[0])
    expect(calls[0].function.name == "get_weather", calls[0].function)
    arguments = json.loads(calls[0].function.arguments)
    expect(set(arguments) == {"city", "days"}, arguments)
    expect(isinstance(arguments["city"], str) and isinstance(arguments["days"], int), arguments)


@check("tiny-lm")
def tool_calls_streamed_by_index(client):
    whole = client.chat.completions.create(
        model="tiny-lm", messages=USER, tools=[WEATHER_TOOL], tool_choice="required", seed=5)
    chunks = list(client.chat.completions.create(
        model="tiny-lm", messages=USER, tools=[WEATHER_TOOL], tool_choice="required", seed=5, stream=True))
    expect(len({chunk.id for chunk in chunks}) == 1, "one id")
    calls = {}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
            if delta.id:
                expect(call["id"] is None, "the id comes once")
                call["id"] = delta.id
            if delta.function and delta.function.name:
                call["name"] += delta.function.name
            if delta.function and delta.function.arguments:
                call["arguments"] += delta.function.arguments
    expect(list(calls) == [0], calls)
    expected = whole.choices[0].message.tool_calls[0]
    expect(calls[0]["id"] == expected.id, calls[0])
    expect(calls[0]["name"] == "get_weather", calls[0])
    expect(json.loads(calls[0]["arguments"]) == json.loads(expected.function.arguments), calls[0])
    expect(chunks[-1].choices[0].finish_reason == "tool_calls", chunks[-1])


@check("tiny-lm")
def auto_tool_choice_calls_a_mentioned_tool_only(client):
    mentioned = client.chat.completions.create(
        model="tiny-lm", messages=[{"role": "user", "content": "Please get weather for Paris"}], tools=[WEATHER_TOOL])
    expect(mentioned.choices[0].finish_reason == "tool_calls", mentioned.choices[0])
    other = client.chat.completions.create(model="tiny-lm", messages=USER, tools=[WEATHER_TOOL], max_tokens=5)
    expect(other.choices[0].message.tool_calls is None, other.choices[0].message)
    none = client.chat.completions.create(
        model="tiny-lm", messages=[{"role": "user", "content": "get weather"}], tools=[WEATHER_TOOL],
        tool_choice="none", max_tokens=5)
    expect(none.choices[0].message.tool_calls is None, none.choices[0].message)


@check("tiny-lm")
def a_tool_result_conversation_is_accepted(client):
    messages = USER + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    completion = client.chat.completions.create(model="tiny-lm", messages=messages, max_tokens=6)
    expect(completion.choices[0].message.content, completion)


@check("tiny-lm")
def invalid_chat_requests_are_400_with_the_param(client):
    expect_bad_request(lambda: client.chat.completions.create(model="tiny-lm", messages=USER, n=2), "n")
    expect_bad_request(
        lambda: client.chat.completions.create(model="tiny-lm", messages=USER, temperature=3), "temperature")
    expect_bad_request(lambda: client.chat.completions.create(model="tiny-lm", messages=[]), "messages")
    expect_bad_request(
        lambda: client.chat.completions.create(
            model="tiny-lm", messages=[{"role": "wizard", "content": "x"}]), "messages[0].role")
    expect_bad_request(
        lambda: list(client.chat.completions.create(
            model="tiny-lm", messages=USER, stream=True, max_tokens=0)), "max_tokens")


# MARK: embeddings


def as_float32(values):
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@check("embed")
def models_lists_the_embedding_model(client):
    ids = [model.id for model in client.models.list().data]
    expect("embed" in ids, ids)


@check("embed")
def float_embeddings(client):
    response = client.embeddings.create(model="embed", input="a white rabbit", encoding_format="float")
    expect(response.object == "list" and response.model == "embed", response)
    expect(len(response.data) == 1, response.data)
    item = response.data[0]
    expect(item.object == "embedding" and item.index == 0, item)
    expect(len(item.embedding) == 256, len(item.embedding))
    expect(abs(math.sqrt(sum(x * x for x in item.embedding)) - 1) < 1e-5, "unit length")
    expect(response.usage.prompt_tokens == 3 and response.usage.total_tokens == 3, response.usage)


@check("embed")
def base64_embeddings_are_the_same_float32_values(client):
    floats = client.embeddings.create(model="embed", input="a white rabbit", encoding_format="float")
    encoded = client.embeddings.create(model="embed", input="a white rabbit", encoding_format="base64")
    raw = encoded.data[0].embedding
    expect(isinstance(raw, str), type(raw))
    data = base64.b64decode(raw)
    expect(len(data) == 4 * 256, len(data))
    decoded = list(struct.unpack("<256f", data))
    expect(decoded == as_float32(floats.data[0].embedding), "base64 and float disagree")
    # Without encoding_format the client asks for base64 itself and decodes it to floats.
    default = client.embeddings.create(model="embed", input="a white rabbit")
    expect(as_float32(default.data[0].embedding) == decoded, "the client's own base64 decoding disagrees")


@check("embed")
def a_list_of_inputs_keeps_its_order(client):
    texts = ["the white rabbit ran", "a white rabbit", "orange marmalade"]
    response = client.embeddings.create(model="embed", input=texts, encoding_format="float")
    expect([item.index for item in response.data] == [0, 1, 2], response.data)
    vectors = [item.embedding for item in response.data]
    expect(cosine(vectors[0], vectors[1]) > cosine(vectors[1], vectors[2]), "similar texts are closer")
    single = client.embeddings.create(model="embed", input=texts[2], encoding_format="float")
    expect(as_float32(single.data[0].embedding) == as_float32(vectors[2]), "deterministic")
    expect(response.usage.prompt_tokens == 9, response.usage)


@check("embed")
def dimensions_shorten_vectors(client):
    response = client.embeddings.create(model="embed", input=["alice", "rabbit"], dimensions=64)
    expect([len(item.embedding) for item in response.data] == [64, 64], response.data)


@check("embed")
def invalid_embedding_requests_are_400_with_the_param(client):
    expect_bad_request(lambda: client.embeddings.create(model="embed", input="x", dimensions=1000), "dimensions")
    expect_bad_request(lambda: client.embeddings.create(model="embed", input=[]), "input")
    expect_bad_request(lambda: client.embeddings.create(model="embed", input=""), "input")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", choices=sorted(CHECKS), help="which checks to run (default: what /v1/models lists)")
    arguments = parser.parse_args()

    client = openai.OpenAI(base_url=arguments.base_url, api_key="lituv-test", max_retries=0, timeout=30)
    if arguments.model:
        models = [arguments.model]
    else:
        models = [model.id for model in client.models.list().data if model.id in CHECKS]
    print(f"openai {openai.__version__} against {arguments.base_url}: {', '.join(models) or 'no known model'}")

    passed = failed = 0
    for model in models:
        for function in CHECKS[model]:
            try:
                function(client)
            except Exception as error:  # noqa: BLE001 - every failure is reported, then the next check runs
                failed += 1
                print(f"FAIL {model}: {function.__name__}: {type(error).__name__}: {error}")
                traceback.print_exc(file=sys.stdout)
            else:
                passed += 1
                print(f"ok   {model}: {function.__name__}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
