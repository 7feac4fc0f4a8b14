#!/usr/bin/env python3
"""Drives a running `lituv-example --model square --open-inference` with Triton's `tritonclient.http`.

    python3 Tests/python/open_inference_client_test.py --url 127.0.0.1:8000

The server serves model `square`: input `input` (FP32, [N]), output `output` (FP32, [N], each value squared).
Prints one line per check and ends with `N passed, N failed`; exits 1 when a check failed (or none ran).
Tests/LitUVTests/OpenInferenceClientTests.swift runs it with the venv made by scripts/setup-python.
"""

import argparse
import sys
import traceback

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

MODEL = "square"
CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def infer_square(client, values, binary_data):
    array = np.array(values, dtype=np.float32)
    tensor = httpclient.InferInput("input", list(array.shape), "FP32")
    tensor.set_data_from_numpy(array, binary_data=binary_data)
    output = httpclient.InferRequestedOutput("output", binary_data=binary_data)
    return array, client.infer(MODEL, [tensor], outputs=[output], request_id="req-" + str(len(values)))


@check
def server_is_live_and_ready(client):
    expect(client.is_server_live(), "is_server_live is False")
    expect(client.is_server_ready(), "is_server_ready is False")


@check
def model_is_ready_and_an_unknown_one_is_not(client):
    expect(client.is_model_ready(MODEL), "is_model_ready('square') is False")
    expect(not client.is_model_ready("no-such-model"), "is_model_ready('no-such-model') is True")


@check
def server_metadata_names_the_server(client):
    metadata = client.get_server_metadata()
    expect(metadata["name"] == "lituv", f"server metadata {metadata}")
    expect(isinstance(metadata["version"], str), f"server metadata {metadata}")
    expect(isinstance(metadata["extensions"], list), f"server metadata {metadata}")


@check
def model_metadata_declares_the_tensors(client):
    metadata = client.get_model_metadata(MODEL)
    expect(metadata["name"] == MODEL, f"model metadata {metadata}")
    expect(metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1]}], f"inputs {metadata}")
    expect(metadata["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1]}], f"outputs {metadata}")


@check
def infer_json_data_of_several_sizes(client):
    for size in (1, 3, 64, 1000):
        array, result = infer_square(client, np.linspace(-4, 4, size), binary_data=False)
        output = result.as_numpy("output")
        expect(output.dtype == np.float32, f"dtype {output.dtype}")
        expect(output.shape == (size,), f"shape {output.shape} for {size}")
        expect(np.allclose(output, array * array), f"values for {size}: {output[:4]}")
        response = result.get_response()
        expect(response["model_name"] == MODEL, f"response {response}")
        expect(response["id"] == f"req-{size}", f"id {response.get('id')}")


@check
def infer_binary_input_data(client):
    # tritonclient's default: the tensor travels as raw bytes after the JSON header.
    for size in (2, 17, 4096):
        array, result = infer_square(client, np.arange(size) / 8.0, binary_data=True)
        output = result.as_numpy("output")
        expect(output.shape == (size,), f"shape {output.shape} for {size}")
        expect(np.allclose(output, array * array), f"values for {size}: {output[:4]}")


@check
def infer_with_default_outputs(client):
    array = np.array([1.5, -2.0], dtype=np.float32)
    tensor = httpclient.InferInput("input", [2], "FP32")
    tensor.set_data_from_numpy(array)
    result = client.infer(MODEL, [tensor])
    expect(np.allclose(result.as_numpy("output"), array * array), f"{result.get_response()}")


@check
def concurrent_async_infer(client):
    pending = []
    for size in range(1, 33):
        array = np.full(size, float(size), dtype=np.float32)
        tensor = httpclient.InferInput("input", [size], "FP32")
        tensor.set_data_from_numpy(array, binary_data=size % 2 == 0)
        pending.append((size, client.async_infer(MODEL, [tensor])))
    for size, request in pending:
        output = request.get_result().as_numpy("output")
        expect(output.shape == (size,), f"shape {output.shape} for {size}")
        expect(np.all(output == float(size * size)), f"values for {size}: {output[:4]}")


@check
def wrong_datatype_raises_inference_server_exception(client):
    tensor = httpclient.InferInput("input", [2], "FP64")
    tensor.set_data_from_numpy(np.array([1.0, 2.0], dtype=np.float64), binary_data=False)
    try:
        client.infer(MODEL, [tensor])
    except InferenceServerException as error:
        expect(error.status() == "400", f"status {error.status()}")
        expect("FP64" in error.message() and "FP32" in error.message(), f"message {error.message()}")
        return
    raise AssertionError("no InferenceServerException")


@check
def unknown_model_raises_inference_server_exception(client):
    tensor = httpclient.InferInput("input", [1], "FP32")
    tensor.set_data_from_numpy(np.array([1.0], dtype=np.float32), binary_data=False)
    try:
        client.infer("no-such-model", [tensor])
    except InferenceServerException as error:
        expect(error.status() == "404", f"status {error.status()}")
        expect("no-such-model" in error.message(), f"message {error.message()}")
        return
    raise AssertionError("no InferenceServerException")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="host:port of the server")
    arguments = parser.parse_args()
    client = httpclient.InferenceServerClient(url=arguments.url, concurrency=8)
    passed = failed = 0
    try:
        for function in CHECKS:
            try:
                function(client)
            except Exception:  # noqa: BLE001 - every failure is reported, the run goes on
                failed += 1
                print(f"FAIL {function.__name__}")
                traceback.print_exc(file=sys.stdout)
            else:
                passed += 1
                print(f"ok   {function.__name__}")
    finally:
        client.close()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
