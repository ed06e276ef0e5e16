"""The playground against an OpenAI-compatible completions server (vLLM first), with no torch.

- ``address``: the server's URL as recorded (no credentials) and the API key (environment only).
- ``connection``: HTTP with httpx: JSON calls, the server-sent event stream, errors as one line.
- ``wire``: our parameters and a request to vLLM's ``/v1/completions`` body; its answers back.
- ``rows``: one response row's host side: tokens, text, probabilities, why it ended.
- ``streams``: one HTTP stream per row in a thread of its own, feeding one queue.
- ``generation``: the loop that runs the rows, cancels them, and applies live changes.
- ``engine``: ``ServerEngine``, the ``PlaygroundEngine`` the front-ends hold, and ``open_server``.
"""
