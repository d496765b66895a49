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

.PHONY: setup deb venv run test lint bench clean

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

test: setup
	TZ=$${TZ:-UTC} $(BIN)/pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check broadcaster tests bench

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
