#!/usr/bin/env bash
# Writes a secured park broker's configuration, as the demo runs it and as
# production should (README, "MQTT security"):
#
#   park-broker.sh BROKER_DIR SECRETS_DIR PORT USER...
#
# BROKER_DIR gets mosquitto.conf (a listener on 127.0.0.1:PORT, persistence
# in BROKER_DIR), mosquitto.passwd (hashes only) and mosquitto.acl;
# SECRETS_DIR gets credentials.txt ("USER PASSWORD" for each USER, what
# parksim --credentials reads) and parkd.password (broker.password_file).
# Random passwords; each USER is an enterprise id (E001, ..., PARK), and
# the user parkd is always added.
#
# No anonymous clients; the ACL lets each enterprise publish only under
# park/{E}/# and read only its own alarms, and parkd read every
# enterprise's data and status and publish the alarms. The ACL does not
# cover client ids: mosquitto lets any login take any client id, and a
# CONNECT with an id in use drops that session (parkd's: readings lost;
# an enterprise's: its last will says "offline"). use_username_as_clientid
# on every listener makes each session's id its login, so no login can
# reach another's session.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 BROKER_DIR SECRETS_DIR PORT USER..." >&2
  exit 2
fi
broker=$1 secrets=$2 port=$3
shift 3
mkdir -p "$broker" "$secrets"
chmod 700 "$broker"
(
  umask 077
  : >"$secrets/credentials.txt"
  : >"$broker/mosquitto.passwd"
  {
    echo "# parkd reads every enterprise's data, status and events (gate passages, badges,"
    echo "# camera events) and publishes the alarms and the notifications (notify's mqtt channel)"
    echo "user parkd"
    echo "topic read park/+/+/data"
    echo "topic read park/+/+/status"
    echo "topic read park/+/+/events"
    echo "topic write park/alarms/#"
    echo "topic write park/notify/#"
  } >"$broker/mosquitto.acl"
  for u in parkd "$@"; do
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    echo "$u:$pw" >>"$broker/mosquitto.passwd"
    if [ "$u" = parkd ]; then
      echo "$pw" >"$secrets/parkd.password"
    else
      echo "$u $pw" >>"$secrets/credentials.txt"
      printf '\nuser %s\ntopic write park/%s/#\ntopic read park/alarms/%s\ntopic read park/notify/%s\n' \
        "$u" "$u" "$u" "$u" >>"$broker/mosquitto.acl"
    fi
  done
)
/usr/bin/mosquitto_passwd -U "$broker/mosquitto.passwd" # hashes them in place
# use_username_as_clientid is a listener's setting: repeat it after every
# listener line added to this file.
# max_queued_messages: a limit parkd's queue never reaches (the default
# 1,000 drops what arrives while parkd is down). Not 0: with 0, mosquitto
# 2.0.11 drops a client's connection at its next publish after one the ACL
# denied.
cat >"$broker/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous false
password_file $broker/mosquitto.passwd
acl_file $broker/mosquitto.acl
persistence true
persistence_location $broker/
autosave_interval 10
max_queued_messages 1000000000
max_inflight_messages 1000
set_tcp_nodelay true
listener $port 127.0.0.1
use_username_as_clientid true
EOF
