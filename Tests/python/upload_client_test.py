"""Uploads with Python requests against a LitUV server (run by UploadClientTests).

The server's /predict takes a multipart form and answers JSON describing every part it got (name, filename,
content type, size, a checksum); /form takes an urlencoded form and answers its fields. Exits 0 when every
check passed, 1 otherwise (with the failure printed).
"""

import argparse
import sys

import requests


def checksum(data: bytes) -> int:
    total = 0
    for byte in data:
        total = (total * 31 + byte) % 1000000007
    return total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    args = parser.parse_args()
    session = requests.Session()
    session.trust_env = False  # the server is local, whatever proxy the machine has

    image = bytes(range(256)) * 1000 + b"\r\n--not-a-boundary\r\n"
    answer = session.post(
        f"{args.base_url}/predict",
        files={"file": ("café.png", image, "image/png")},
        data={"note": "hello wörld", "n": "3"},
        timeout=60,
    )
    assert answer.status_code == 200, (answer.status_code, answer.text)
    parts = {part["name"]: part for part in answer.json()["parts"]}
    assert parts["file"]["filename"] == "café.png", parts["file"]
    assert parts["file"]["contentType"] == "image/png", parts["file"]
    assert parts["file"]["bytes"] == len(image), parts["file"]
    assert parts["file"]["checksum"] == checksum(image), parts["file"]
    assert parts["note"]["text"] == "hello wörld", parts["note"]
    assert parts["n"]["text"] == "3", parts["n"]

    refused = session.post(f"{args.base_url}/predict", json={"input": 1}, timeout=60)
    assert refused.status_code == 415, (refused.status_code, refused.text)
    assert "multipart/form-data" in refused.json()["detail"], refused.text

    form = session.post(f"{args.base_url}/form", data={"q": "a b&c", "lang": "fr"}, timeout=60)
    assert form.status_code == 200, (form.status_code, form.text)
    assert form.json() == {"lang": "fr", "q": "a b&c"}, form.text

    print("upload client checks passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as failure:
        print(f"FAILED: {failure}")
        sys.exit(1)
