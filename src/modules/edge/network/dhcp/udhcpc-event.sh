#!/bin/sh
# udhcpc's event script for Rampart's edge (docs/edge.md, "DHCP client"). udhcpc runs it with the event as $1 and the
# lease in its environment (ip, mask, router, lease). It gives the interface the leased address with the lease as the
# address's lifetime (so the kernel drops it when the lease runs out unrenewed), sets the offered router as the
# default route when Rampart asks for it (RAMPART_DHCP_ROUTE=1: no static gateway configured), and prints the lease
# on one line for Rampart. It never writes /etc/resolv.conf: the box's DNS is not the DHCP client's to change.
event=$1
case "$event" in
bound | renew)
  [ -n "${ip:-}" ] && [ -n "${mask:-}" ] && [ -n "${interface:-}" ] || exit 0
  life=${lease:-forever}
  ip -4 addr replace "$ip/$mask" dev "$interface" valid_lft "$life" preferred_lft "$life" || exit 1
  # A lease of another address replaces the old one: only addresses with a lifetime (leased) go, never static ones.
  ip -4 -o addr show dev "$interface" scope global dynamic | while read -r _ _ _ cidr _; do
    [ "$cidr" = "$ip/$mask" ] || ip -4 addr del "$cidr" dev "$interface"
  done
  gateway=
  if [ "${RAMPART_DHCP_ROUTE:-0}" = 1 ] && [ -n "${router:-}" ]; then
    for r in $router; do gateway=$r && break; done
    ip -4 route replace default via "$gateway" dev "$interface" proto dhcp
  fi
  printf 'rampart-lease {"event":"%s","interface":"%s","address":"%s/%s","router":"%s","lease_secs":"%s"}\n' \
    "$event" "$interface" "$ip" "$mask" "$gateway" "${lease:-}"
  ;;
# deconfig (at the client's start, on a NAK, on release) keeps the address: a restart of the client (Rampart
# restarting) must not cut the WAN, and an address whose lease ended is dropped by the kernel at its lifetime's end.
# Switching the interface away from dhcp flushes it (Rampart, after the client released the lease).
esac
exit 0
