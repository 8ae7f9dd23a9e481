"""The Redis velocity backend, for several API or stream processes sharing one set of counters.

One Lua script applies the updates and answers the reads atomically, so two processes deciding
events of one account never interleave, and an event id already seen changes nothing. Slots
expire some time after their window (Redis ``EXPIRE``), ids after 32 days. The script keys are
built here with the prefix (single Redis, not Redis Cluster).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import redis

from finguard.guard.service.velocity import DEDUP_TTL, Read, Update, VelocityUnavailable

_SCRIPT = """
local function run(spec)
local fresh = true
if spec.dedup ~= '' then
  if not redis.call('SET', spec.dedup, '1', 'NX', 'EX', spec.dedup_ttl) then fresh = false end
end
if fresh then
  for _, u in ipairs(spec.updates) do
    local k, op, b, v = u[1], u[2], u[3], u[4]
    if op == 'add' then
      redis.call('HINCRBY', k, b, v)
      if redis.call('HLEN', k) > u[7] then
        for _, f in ipairs(redis.call('HKEYS', k)) do
          if tonumber(f) < u[6] then redis.call('HDEL', k, f) end
        end
      end
    elseif op == 'member' then
      redis.call('ZADD', k, 'GT', b, u[5])
      redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. u[6])
      local n = redis.call('ZCARD', k)
      if n > u[7] then redis.call('ZREMRANGEBYRANK', k, 0, n - u[7] - 1) end
    else
      local cur = redis.call('GET', k)
      if (not cur) or tonumber(cur) > v then redis.call('SET', k, v) end
    end
    redis.call('EXPIRE', k, u[8])
  end
end
local out = {}
for i, r in ipairs(spec.reads) do
  local k, op = r[1], r[2]
  if op == 'sum' then
    local flat = redis.call('HGETALL', k)
    local total = 0
    for j = 1, #flat, 2 do
      local f = tonumber(flat[j])
      if f >= r[3] and f <= r[4] then total = total + tonumber(flat[j + 1]) end
    end
    out[i] = total
  elseif op == 'distinct' then
    out[i] = redis.call('ZCOUNT', k, r[3], r[4])
  else
    local cur = redis.call('GET', k)
    if cur then out[i] = tonumber(cur) else out[i] = -1 end
  end
  out[i] = string.format('%d', out[i])
end
return table.concat(out, ',')
end
local arg = cjson.decode(ARGV[1])
if ARGV[2] == 'many' then
  local outs = {}
  for i, spec in ipairs(arg) do outs[i] = run(spec) end
  return table.concat(outs, ';')
end
return run(arg)
"""
# With a second argument ``many`` the first is a list of specs, run in order in the one call, their
# answers joined by ';' (``apply_many``: the allowed-stage updates of a stored batch, #19).
# One string, not an array of integers: redis-py's pure-Python parser reads an array element by
# element (a line each): about a third of a call's client CPU under cProfile (#19). '%d' truncates a
# number to an integer as Redis does when it returns a Lua number.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


class RedisBackend:
    def __init__(self, url: str, *, prefix: str = "finguard:vel:", timeout: float = 0.25) -> None:
        self.prefix = prefix
        self.client: Any = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._script: Any = self.client.register_script(_SCRIPT)

    def _spec(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> dict[str, Any]:
        p = self.prefix
        return {
            "dedup": f"{p}seen:{dedup}" if dedup else "",
            "dedup_ttl": DEDUP_TTL,
            "updates": [[p + u.slot, u.op, u.bucket, u.value, u.member, u.keep_from, u.keep, max(u.ttl, 60)] for u in updates],
            "reads": [[p + r.slot, r.op, r.lo, r.hi] for r in reads],
        }

    def _call(self, args: list[str]) -> str:
        try:
            result = self._script(args=args)
        except redis.RedisError as exc:
            raise VelocityUnavailable(f"redis: {exc}") from exc
        return result.decode() if isinstance(result, bytes) else str(result)

    def apply(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        text = self._call([_ENCODER.encode(self._spec(dedup, updates, reads))])
        return [int(v) for v in text.split(",")] if text else []

    def apply_many(self, items: Sequence[tuple[str, Sequence[Update], Sequence[Read]]]) -> list[list[int]]:
        """:meth:`apply` each item in order, in one round trip (one script call, atomic as a whole)."""
        if not items:
            return []
        text = self._call([_ENCODER.encode([self._spec(*item) for item in items]), "many"])
        return [[int(v) for v in part.split(",")] if part else [] for part in text.split(";")]

    def close(self) -> None:
        self.client.close()
