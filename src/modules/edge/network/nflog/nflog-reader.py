#!/usr/bin/python3
"""Reads one nflog group (nftables `log group N`) over netfilter netlink and prints one JSON object per packet.

Node has no netlink sockets; Debian's python3 has them in its standard library. Usage: nflog-reader.py GROUP
Each line: {"ts": unix seconds, "prefix": str, "indev": str|null, "outdev": str|null, "family": 4|6,
"protocol": str, "src": str, "dst": str, "sport": int, "dport": int}
"""
import ipaddress
import json
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_PACKET = 0
NFULNL_MSG_CONFIG = 1
NFULA_CFG_CMD = 1
NFULA_CFG_MODE = 2
NFULNL_CFG_CMD_BIND = 1
NFULNL_COPY_PACKET = 2
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
ATTR = {1: 'hdr', 3: 'timestamp', 4: 'indev', 5: 'outdev', 9: 'payload', 10: 'prefix'}
PROTOCOLS = {1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmp6', 132: 'sctp'}


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * ((4 - length % 4) % 4)


def config(sock, group, family, attrs, seq):
    body = struct.pack('=BBH', family, 0, socket.htons(group)) + b''.join(attrs)
    header = struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq, 0)
    sock.send(header + body)
    reply = sock.recv(65536)
    kind = struct.unpack_from('=H', reply, 4)[0]
    if kind == NLMSG_ERROR:
        error = struct.unpack_from('=i', reply, 16)[0]
        if error != 0:
            raise OSError(-error, 'nflog config refused')


def parse_packet(data):
    fields = {}
    offset = 4  # nfgenmsg
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from('=HH', data, offset)
        if length < 4:
            break
        value = data[offset + 4:offset + length]
        name = ATTR.get(kind & 0x7fff)
        if name:
            fields[name] = value
        offset += (length + 3) & ~3
    payload = fields.get('payload', b'')
    out = {'ts': time.time(), 'prefix': fields.get('prefix', b'').rstrip(b'\0').decode('utf-8', 'replace'), 'indev': None, 'outdev': None}
    for key in ('indev', 'outdev'):
        if key in fields:
            try:
                out[key] = socket.if_indextoname(struct.unpack('>I', fields[key])[0])
            except OSError:
                out[key] = None
    if 'timestamp' in fields and len(fields['timestamp']) >= 16:
        sec, usec = struct.unpack('>QQ', fields['timestamp'][:16])
        out['ts'] = sec + usec / 1e6
    if len(payload) >= 20 and payload[0] >> 4 == 4:
        ihl = (payload[0] & 15) * 4
        proto = payload[9]
        out.update(family=4, src=str(ipaddress.IPv4Address(payload[12:16])), dst=str(ipaddress.IPv4Address(payload[16:20])))
        l4 = payload[ihl:]
    elif len(payload) >= 40 and payload[0] >> 4 == 6:
        proto = payload[6]
        out.update(family=6, src=str(ipaddress.IPv6Address(payload[8:24])), dst=str(ipaddress.IPv6Address(payload[24:40])))
        l4 = payload[40:]
    else:
        return None
    out['protocol'] = PROTOCOLS.get(proto, str(proto))
    out['sport'], out['dport'] = struct.unpack_from('>HH', l4, 0) if proto in (6, 17, 132) and len(l4) >= 4 else (0, 0)
    return out


def main():
    group = int(sys.argv[1])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    config(sock, group, socket.AF_UNSPEC, [attr(NFULA_CFG_CMD, struct.pack('=B', NFULNL_CFG_CMD_BIND))], 1)
    config(sock, group, socket.AF_UNSPEC, [attr(NFULA_CFG_MODE, struct.pack('>IBB', 128, NFULNL_COPY_PACKET, 0))], 2)
    print(json.dumps({'ready': group}), flush=True)
    while True:
        try:
            data = sock.recv(262144)
        except OSError:
            continue  # ENOBUFS: the kernel dropped some; carry on
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from('=IH', data, offset)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET:
                packet = parse_packet(data[offset + 16:offset + length])
                if packet:
                    print(json.dumps(packet), flush=True)
            offset += (length + 3) & ~3


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
