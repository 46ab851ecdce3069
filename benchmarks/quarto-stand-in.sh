#!/bin/bash
# `quarto` for the benchmark and the render tests: like Quarto's own command (a bash script,
# quarto-cli package/scripts/common/quarto), it exports Quarto's variables and runs the program
# as a child, so that the kernels see what a shell script on the way changes (SHLVL, _) and
# Quarto's QUARTO_*/DENO_* variables. The program is benchmarks/quarto_stand_in.py, not Deno.
HERE="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"  # through symbolic links, as Quarto's does
export QUARTO_BIN_PATH="$HERE"
export QUARTO_SHARE_PATH="$HERE"
export QUARTO_DENO="$HERE/deno"
export DENO_DOM_PLUGIN="$HERE/libplugin.so"
export DENO_TLS_CA_STORE=system,mozilla
export DENO_NO_UPDATE_CHECK=1
"${QUARTO_PYTHON:-python3}" "$HERE/quarto_stand_in.py" "$@"
