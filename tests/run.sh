#!/usr/bin/env bash
# Runs every test: Rust unit tests, then black-box tests of the real binary with
# redis-cli, redis-py, redis-rb and a real redis-server for byte-for-byte comparisons.
# Installs what the tests need on a machine that has none of it.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v ruby >/dev/null 2>&1 && ruby -e 'require "redis"' >/dev/null 2>&1 || need+=(ruby-redis)
command -v sidekiq >/dev/null 2>&1 || need+=(ruby-sidekiq)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-pip)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import redis, pytest' >/dev/null 2>&1 || python3 -m pip install -q redis pytest

cargo build --workspace --quiet
cargo test --workspace --quiet
ruby tests/ruby/test_redis_rb.rb
ruby tests/ruby/test_mastodon.rb
(cd tests/node && { [ -d node_modules/ioredis ] || npm install --no-audit --no-fund --silent; } && node --test)
python3 -m pytest -q tests/
