"""The Hub gate: ``ailiance-audit serve``, a webhook service that audits Hub pull requests.

One module per role, imports only downward:

- ``config``: service settings and the per-org/repo config file (policy, fail-on, waivers, mirrors);
- ``events``: webhook payloads (the Hub's documented shapes) -> pull-request heads to audit;
- ``store``: the SQLite job table (durable queue, duplicate collapse, per-repo order, recovery);
- ``hubclient``: the Hub side (whoami, PR details, head sha, one comment per PR found by marker);
- ``render``: the comment's Markdown (card text escaped by ``auditor.formats.escape``);
- ``audit``: one job through the pipeline, with the PR's base as the baseline;
- ``worker``: the bounded worker pool (audit, then post with retries and backoff);
- ``status``: the read-only status page; ``app``: the ASGI app; ``cli``: the subcommand.
"""
