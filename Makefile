# Two commands for a fresh Debian machine: `make run` and `make test`. `make setup` is their shared,
# idempotent part: Debian packages the code needs, then a .venv with the project (editable).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# espeak-ng: offline voice; ffmpeg: decode/encode, loudness meter; sox: chimes; alsa-utils: aplay;
# chromium: the browser the Playwright tests drive; wrk: the web benchmark; postgresql: the
# schema is tested on a real server too and the district hub runs on it; mosquitto: the live link's
# MQTT broker; icecast2: the stream server for relays and IP loudspeakers.
DEB_PACKAGES := espeak-ng ffmpeg sox libsox-fmt-mp3 alsa-utils chromium wrk python3-venv postgresql \
	mosquitto icecast2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export BROADCASTER_DATA_DIR ?= $(CURDIR)/var

.PHONY: setup deb venv run hub test lint bench clean

setup: deb venv

deb:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Cài gói Debian còn thiếu:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: setup
	$(BIN)/broadcaster init
	@echo ""
	@echo "Trang quản trị: http://$${BROADCASTER_WEB_HOST:-127.0.0.1}:$${BROADCASTER_WEB_PORT:-8080}"
	@echo "Tạo tài khoản quản trị đầu tiên (ở cửa sổ khác):"
	@echo "  BROADCASTER_DATA_DIR=$(BROADCASTER_DATA_DIR) $(BIN)/broadcaster user add admin --role admin --password-stdin"
	@echo "Nhấn Ctrl-C để dừng cả trang quản trị, bộ phát và bộ chuyển giọng nói."
	@# All stop on Ctrl-C; if one of them ends (a bad setting, the port taken) the others are stopped too.
	@trap 'kill $$(jobs -p) 2>/dev/null; wait; exit 0' INT TERM; \
	  $(BIN)/broadcaster run & \
	  $(BIN)/broadcaster web & \
	  $(BIN)/broadcaster worker & \
	  wait -n; rc=$$?; kill $$(jobs -p) 2>/dev/null; wait; exit $$rc

# A district hub for a trial on this machine: its own data dir, a PostgreSQL cluster inside it
# (initdb once, on a fixed local port, trust on 127.0.0.1 and a socket in the cluster's folder),
# the schema migrated, then the hub's web and render worker. Ctrl-C stops all three. For a real
# hub use a managed PostgreSQL and the systemd units (systemd/broadcaster-hub*.service).
HUB_DATA_DIR ?= $(BROADCASTER_DATA_DIR)/huyen
HUB_PG_PORT ?= 55432
HUB_WEB_PORT ?= 8090
HUB_PG = $(HUB_DATA_DIR)/postgresql
HUB_DB_URL = postgresql+psycopg://broadcaster@127.0.0.1:$(HUB_PG_PORT)/broadcaster

hub: setup
	@set -e; mkdir -p "$(HUB_DATA_DIR)"; \
	  bindir=$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1); \
	  [ -n "$$bindir" ] || { echo "Chưa cài PostgreSQL; chạy: make setup"; exit 1; }; \
	  as_pg=""; if [ "$$(id -u)" = 0 ]; then as_pg="runuser -u postgres --"; fi; \
	  if [ ! -f "$(HUB_PG)/PG_VERSION" ]; then \
	    echo "Tạo cơ sở dữ liệu PostgreSQL thử nghiệm ở $(HUB_PG)"; \
	    mkdir -p "$(HUB_PG)"; chmod 700 "$(HUB_PG)"; \
	    [ -z "$$as_pg" ] || chown postgres: "$(HUB_PG)"; \
	    $$as_pg "$$bindir/initdb" -D "$(HUB_PG)" -U broadcaster -A trust -E UTF8 --locale=C.UTF-8 >/dev/null; \
	  fi; \
	  if ! $$as_pg "$$bindir/pg_ctl" -D "$(HUB_PG)" status >/dev/null 2>&1; then \
	    $$as_pg "$$bindir/pg_ctl" -D "$(HUB_PG)" -l "$(HUB_PG)/postgresql.log" -w -s \
	      -o "-p $(HUB_PG_PORT) -k $(HUB_PG) -c listen_addresses=127.0.0.1" start \
	      || { echo "Không khởi động được PostgreSQL (cổng $(HUB_PG_PORT) bận?); xem $(HUB_PG)/postgresql.log"; exit 1; }; \
	  fi; \
	  psql="$$bindir/psql -h 127.0.0.1 -p $(HUB_PG_PORT) -U broadcaster -d postgres -qtA"; \
	  [ "$$($$psql -c "SELECT 1 FROM pg_database WHERE datname = 'broadcaster'")" = 1 ] \
	    || $$psql -c "CREATE DATABASE broadcaster" >/dev/null; \
	  export BROADCASTER_MODE=hub BROADCASTER_DATA_DIR="$(HUB_DATA_DIR)" \
	    BROADCASTER_DATABASE_URL="$(HUB_DB_URL)" BROADCASTER_WEB_PORT=$(HUB_WEB_PORT) BROADCASTER_WEB_WORKERS=1 \
	    BROADCASTER_STATION_CODE=$${BROADCASTER_STATION_CODE:-huyen} \
	    BROADCASTER_STATION_NAME="$${BROADCASTER_STATION_NAME:-Trung tâm Văn hóa – Thông tin huyện}"; \
	  stop_pg() { $$as_pg "$$bindir/pg_ctl" -D "$(HUB_PG)" -m fast -w -s stop || true; }; \
	  $(BIN)/broadcaster init --no-starter || { stop_pg; exit 1; }; \
	  echo ""; \
	  echo "Máy chủ huyện (thử nghiệm): http://$${BROADCASTER_WEB_HOST:-127.0.0.1}:$(HUB_WEB_PORT)/huyen/cac-dai"; \
	  echo "Các lệnh của huyện dùng cùng môi trường, ví dụ:"; \
	  echo "  BROADCASTER_MODE=hub BROADCASTER_DATA_DIR=$(HUB_DATA_DIR) BROADCASTER_DATABASE_URL=$(HUB_DB_URL) $(BIN)/broadcaster user add quantri --role admin --password-stdin"; \
	  echo "  (cũng vậy với: broadcaster station add MÃ --name TÊN, broadcaster hub publish …, broadcaster hub stations)"; \
	  echo "Nhấn Ctrl-C để dừng trang huyện, bộ chuyển giọng nói và PostgreSQL."; \
	  trap 'kill $$(jobs -p) 2>/dev/null; wait; stop_pg; exit 0' INT TERM; \
	  $(BIN)/broadcaster web & \
	  $(BIN)/broadcaster worker & \
	  set +e; wait -n; rc=$$?; kill $$(jobs -p) 2>/dev/null; wait; stop_pg; exit $$rc

# The suite in parallel (pytest-xdist): most of its time is real-time waiting on real processes
# (the daemon, icecast2, mosquitto, chromium), not CPU, so more workers than CPUs pay. Tests go out
# one at a time in the order tests/conftest.py sets (the ones marked slow first), so the long
# scenarios do not end the run on one worker; tests sharing a module fixture go to one worker
# together (loadgroup). TEST_WORKERS=0 runs serially; PYTEST_ARGS adds options or picks tests,
# e.g. `make test PYTEST_ARGS=tests/web/test_auth.py`.
TEST_WORKERS ?= 3
PYTEST_ARGS ?=

test: setup
	TZ=$${TZ:-UTC} $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder \
	  $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check broadcaster tests bench

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
