#!/usr/bin/env bash
# The main job: a pipeline fails, is fixed and restarted, reusing what worked.
# Runs in a throwaway home and a copy of samples/projects/demo.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
export GUILDLIKE_HOME="$work/home"
cp -r "$here/projects/demo" "$work/demo"
cd "$work/demo"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say guildlike run pipeline -y
guildlike run pipeline -y
echo "(exit status $?)"

say guildlike runs
guildlike runs

pipeline=$(guildlike select -Fo pipeline)
say guildlike run --restart "${pipeline:0:8}" target=0.99 --needed -y
guildlike run --restart "$pipeline" target=0.99 --needed -y
status=$?
echo "(exit status $status)"

say guildlike runs
guildlike runs

say guildlike ls -Fo pipeline
guildlike ls -Fo pipeline
echo
echo "home: $GUILDLIKE_HOME"
exit $status
