"""``ltc-assess server``: run the office server, migrate its PostgreSQL schema, provision it from the office
database (users, certificates, the TLS certificate, insurers) and get an insurer's session token for ``curl``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ltc_assess.cli.common import add_db_option, login, open_service, password
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from ltc_assess.storage.pg.repository import PgStore

T = TypeVar("T")

ROOT_ENV = "LTC_ASSESS_ROOT_PASSPHRASE"
PG_ENV = "LTC_ASSESS_PG"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("server", help=_("基于 PostgreSQL 的办公室服务器（run、migrate、enrol、tls-cert、insurer）"))
    _pg(p)
    p.add_argument("--listen", default="127.0.0.1:8443", metavar="HOST:PORT")
    p.add_argument("--tls-cert", type=Path, help=_("由机构根证书签发的服务器证书（server tls-cert）"))
    p.add_argument("--tls-key", type=Path)
    p.add_argument("--workers", type=int, default=1, help=_("进程数（签名校验受 CPU 限制：每核一个）"))
    p.set_defaults(func=_run)
    ssub = p.add_subparsers(dest="server_command", metavar="ACTION", parser_class=type(p))
    mp = ssub.add_parser("migrate", help=_("创建或升级服务器的数据库结构"))
    _pg(mp)
    mp.set_defaults(func=_migrate)
    ep = ssub.add_parser("enrol", help=_("从办公室数据库复制机构根证书、用户和证书"))
    _pg(ep)
    ep.add_argument("--as", dest="user", required=True, metavar="ADMIN")
    add_db_option(ep)
    ep.set_defaults(func=_enrol)
    tp = ssub.add_parser("tls-cert", help=_("由机构根证书签发服务器的 TLS 证书"))
    tp.add_argument("--host", action="append", required=True, help=_("客户端使用的名称或 IP 地址（可重复）"))
    tp.add_argument("--out", type=Path, required=True, help=_("写出 OUT.pem（证书）和 OUT.key（密钥，0600）"))
    tp.add_argument("--as", dest="user", required=True, metavar="ADMIN")
    add_db_option(tp)
    tp.set_defaults(func=_tls_cert)
    ip = ssub.add_parser("insurer", help=_("为保险机构的系统签发证书并在服务器上开设账户"))
    ip.add_argument("username")
    ip.add_argument("--name", required=True, help=_("保险机构名称"))
    ip.add_argument("--out", type=Path, required=True, help=_("写出 OUT.pem（证书）和 OUT.key"))
    ip.add_argument("--as", dest="user", required=True, metavar="ADMIN")
    _pg(ip)
    add_db_option(ip)
    ip.set_defaults(func=_insurer)
    cp = ssub.add_parser(
        "check",
        help=_("服务器上的 db check：触发器、审计链、签名检查点、每条记录与其证据的核对"),
    )
    _pg(cp)
    cp.set_defaults(func=_check)
    op = ssub.add_parser("openapi", help=_("写出 API 的 OpenAPI 3.1 文档（docs/openapi.json）"))
    op.add_argument("--out", type=Path, required=True)
    op.set_defaults(func=_openapi)
    kp = ssub.add_parser("token", help=_("为保险机构证书获取会话令牌（供 curl 使用）"))
    kp.add_argument("--server", required=True, metavar="URL")
    kp.add_argument("--cert", type=Path, required=True)
    kp.add_argument("--key", type=Path, required=True, help=_("密钥密码：$LTC_ASSESS_PASSWORD 或提示输入"))
    kp.add_argument("--root", type=Path, required=True, help=_("机构根证书（keys root --out）"))
    kp.set_defaults(func=_token)


def _pg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pg", default=argparse.SUPPRESS, metavar="URL", help=_("PostgreSQL 连接串（默认：${env}）").format(env=PG_ENV)
    )


def _conninfo(args: argparse.Namespace) -> str:
    url = getattr(args, "pg", None) or os.environ.get(PG_ENV)
    if not url:
        raise AppError(ErrorCode.INVALID, _("要使用哪个 PostgreSQL 数据库？（--pg URL 或 ${env}）").format(env=PG_ENV))
    return str(url)


def _migrate(args: argparse.Namespace) -> int:
    from ltc_assess.storage.pg.migrations import migrate

    applied = migrate(_conninfo(args))
    print(_("服务器数据库结构已是最新（{applied}）").format(applied=", ".join(applied) or _("无需应用")))
    return 0


def _store_session(args: argparse.Namespace, work: Callable[[PgStore], T]) -> T:
    from ltc_assess.storage.pg.repository import session

    with session(_conninfo(args)) as store:
        return work(store)


def _enrol(args: argparse.Namespace) -> int:
    from ltc_assess.server.enrol import enrol

    with open_service(args) as service:
        admin = login(service, args.user)
        done = _store_session(args, lambda store: enrol(service, admin, store))
    print(_("服务器已登记：机构根证书和 {count} 个用户").format(count=len(done["users"])))
    return 0


def _tls_cert(args: argparse.Namespace) -> int:
    import datetime as dt

    from ltc_assess.bundle_seal import write_private
    from ltc_assess.signing.tls import issue_server
    from ltc_assess.workflow import Role

    with open_service(args) as service:
        admin = service.active_actor(login(service, args.user), Role.ADMIN)
        now = dt.datetime.fromisoformat(service.now())
        cert, key = issue_server(service.keys.root(), password(_("根证书口令："), ROOT_ENV), args.host, now)
    args.out.with_suffix(".pem").write_bytes(cert)
    key_path = args.out.with_suffix(".key")
    write_private(key_path, key)
    certificate = _("{username} 为 {hosts} 签发的 TLS 证书：{cert}，{key}")
    print(
        certificate.format(
            hosts=", ".join(args.host), username=admin.username, cert=args.out.with_suffix(".pem"), key=key_path
        )
    )
    return 0


def _insurer(args: argparse.Namespace) -> int:
    from ltc_assess.server.enrol import enrol_insurer

    with open_service(args) as service:
        admin = login(service, args.user)
        root_pass = password(_("根证书口令："), ROOT_ENV)
        key_pass = password(_("{username} 的密钥密码：").format(username=args.username), "LTC_ASSESS_NEW_PASSWORD")
        cert, key = _store_session(
            args,
            lambda store: enrol_insurer(service, admin, store, args.username, args.name, root_pass, key_pass, args.out),
        )
    print(_("保险方 {username}：{cert}，{key}").format(username=args.username, cert=cert, key=key))
    return 0


def _token(args: argparse.Namespace) -> int:
    from ltc_assess.signing.keys import subject_fields
    from ltc_assess.sync_client import ServerClient

    cert, key, root = args.cert.read_bytes(), args.key.read_bytes(), args.root.read_bytes()
    client = ServerClient(args.server, root)
    try:
        print(client.login(subject_fields(cert)["username"], cert, key, password(_("密钥密码：")), root))
    finally:
        client.close()
    return 0


def _check(args: argparse.Namespace) -> int:
    from ltc_assess.server.checks import problems as check

    problems = _store_session(args, check)
    for line in problems:
        print(line)
    verdict = _("{count} 个问题").format(count=len(problems)) if problems else _("完好")
    print(_("服务器审计链及其签名检查点：{verdict}").format(verdict=verdict))
    return 1 if problems else 0


def _openapi(args: argparse.Namespace) -> int:
    from ltc_assess.server.app import openapi_text

    args.out.write_text(openapi_text(), encoding="utf-8")
    print(_("OpenAPI 文档已写入：{path}").format(path=args.out))
    return 0


def _run(args: argparse.Namespace) -> int:
    from ltc_assess.storage.pg.migrations import STEPS, migrate

    host, _colon, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise AppError(ErrorCode.INVALID, _("--listen {listen}：应为 主机:端口").format(listen=args.listen))
    if (args.tls_cert is None) != (args.tls_key is None):
        raise AppError(ErrorCode.INVALID, _("--tls-cert 与 --tls-key 必须同时提供"))
    if args.tls_cert is None and host not in ("127.0.0.1", "localhost", "::1"):
        raise AppError(ErrorCode.INVALID, _("未提供 --tls-cert/--tls-key 时，服务器只在本机回环地址上监听"))
    conninfo = _conninfo(args)
    applied = migrate(conninfo)
    if applied:
        print(
            _("服务器数据库结构已迁移（{applied}；共 {steps} 步）").format(applied=", ".join(applied), steps=len(STEPS))
        )
    os.environ[PG_ENV] = conninfo  # worker processes build the app from it (signature checks need processes)
    tls = [str(args.tls_cert), str(args.tls_key)] if args.tls_cert else []
    serving = [host, port, str(args.workers), *tls]
    if getattr(sys, "frozen", False):  # the installed app has no ``python -m``: serve from this process
        from ltc_assess.server.serve import main as serve

        serve(serving)
    else:  # hand over to a bare supervisor (same process id): the CLI's imports do not stay in its memory
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "ltc_assess.server.serve", *serving])
    return 0
