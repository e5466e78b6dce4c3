"""CLIENT KILL's filters and CLIENT LIST's cmd= field, as Redis 7.0 answers them; an error
that echoes an argument stays one line and echoes it up to a NUL, as C's %s. Everything here
also passes with TESSERA_TARGET=redis.
"""

import pytest
import redis

from conftest import wait_until


def err_of(fn, *a):
    with pytest.raises(redis.ResponseError) as raised:
        fn(*a)
    return str(raised.value)


def line_of(c, client_id):
    for entry in c.client_list():
        if int(entry["id"]) == client_id:
            return entry
    return None


def test_kill_filters_match_all_given(server):
    admin = server.client(decode_responses=True)
    victim = server.client(decode_responses=True)
    victim_id = victim.client_id()
    victim_line = line_of(admin, victim_id)
    # Valid filters no client here matches: a count of zero, nobody killed.
    assert admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub") == 0
    assert admin.execute_command("CLIENT", "KILL", "TYPE", "replica", "SKIPME", "no") == 0
    assert admin.execute_command("CLIENT", "KILL", "LADDR", "127.0.0.1:1") == 0
    assert admin.execute_command("CLIENT", "KILL", "ID", str(victim_id), "ADDR", "127.0.0.1:1") == 0
    assert line_of(admin, victim_id) is not None
    # Every filter matches the victim: killed, and only it (SKIPME yes spares the caller).
    killed = admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "USER", "default", "LADDR",
                                   victim_line["laddr"], "ADDR", victim_line["addr"], "SKIPME", "yes")
    assert killed == 1
    wait_until(lambda: line_of(admin, victim_id) is None, timeout=30, what="killed client to leave CLIENT LIST")
    assert admin.ping() is True


def test_killing_itself_a_client_gets_every_reply_owed_then_eof(server_factory):
    """Redis frees other clients at once but closes the caller after its replies (this one
    included); commands pipelined after the kill are not run."""
    srv = server_factory()
    with srv.raw() as c:
        addr = c.call("CLIENT", "INFO").decode().split(" addr=")[1].split(" ")[0]
        c.send(c.encode("SET", "a", "1") + c.encode("GET", "a") + c.encode("CLIENT", "KILL", addr) +
               c.encode("SET", "after", "1"))
        assert c.read_until_closed() == b"+OK\r\n$1\r\n1\r\n+OK\r\n"
    with srv.raw() as bystander, srv.raw() as c:
        assert bystander.call("PING") == "PONG"  # connected before the kill
        c.send(c.encode("PING") + c.encode("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no") + c.encode("PING"))
        assert c.read_until_closed() == b"+PONG\r\n:2\r\n"
        assert bystander.read_until_closed() == b""  # cut off by the kill
    assert srv.client().get("after") is None


def test_kill_errors_in_argument_order(server):
    c = server.client(decode_responses=True)
    assert err_of(c.execute_command, "CLIENT", "KILL", "TYPE", "bogus") == "Unknown client type 'bogus'"
    assert err_of(c.execute_command, "CLIENT", "KILL", "USER", "nosuch") == "No such user 'nosuch'"
    assert err_of(c.execute_command, "CLIENT", "KILL", "ID", "0", "SKIPME") == "client-id should be greater than 0"
    assert err_of(c.execute_command, "CLIENT", "KILL", "SKIPME", "yes", "ID") == "syntax error"
    assert err_of(c.execute_command, "CLIENT", "KILL", "SKIPME", "maybe") == "syntax error"
    assert err_of(c.execute_command, "CLIENT", "KILL", "NOSUCH", "x") == "syntax error"
    assert err_of(c.execute_command, "CLIENT", "KILL", "127.0.0.1:1") == "No such client"


def test_an_error_echoing_newlines_stays_one_line(server):
    with server.raw() as c:
        c.send(c.encode("CLIENT", "LIST", "TYPE", "a\r\nb"))
        assert c.read_raw_line() == b"-ERR Unknown client type 'a  b'"
        assert c.call("PING") == "PONG"


# (command, the exact error line) for arguments echoed into errors, and option order.
ECHOED_ERRORS = [
    (("CLIENT", "LIST", "TYPE", b"a\0b"), b"-ERR Unknown client type 'a'"),
    (("CLIENT", "KILL", "TYPE", b"a\0b"), b"-ERR Unknown client type 'a'"),
    (("CLIENT", "KILL", "USER", b"a\0b"), b"-ERR No such user 'a'"),
    (("CONFIG", "SET", b"a\0b", "1"), b"-ERR Unknown option or number of arguments for CONFIG SET - 'a'"),
    (("EXPIRE", "k", "10", b"a\0b"), b"-ERR Unsupported option a"),
    (("HELLO", "2", b"a\0b"), b"-ERR Syntax error in HELLO option 'a'"),
    (("HELLO", "2", "SETNAME", "bad name", "extra"),
     b"-ERR Client names cannot contain spaces, newlines or special characters."),
    (("CONFIG", "SET", "maxclients", "4294967296"),
     b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and "
     b"4294967295 inclusive"),
]


@pytest.mark.parametrize("command,line", ECHOED_ERRORS, ids=[" ".join(map(str, c)) for c, _ in ECHOED_ERRORS])
def test_echoed_arguments_and_option_order(server, command, line):
    with server.raw() as c:
        c.send(c.encode(*command))
        assert c.read_raw_line() == line
        assert c.call("PING") == "PONG"


def test_list_shows_the_command_each_client_ran_last(server):
    admin = server.client(decode_responses=True)
    other = server.client(decode_responses=True)
    other_id = other.client_id()
    assert line_of(admin, other_id)["cmd"] == "client|id"
    other.get("k")
    assert line_of(admin, other_id)["cmd"] == "get"
    other.config_get("maxclients")
    assert line_of(admin, other_id)["cmd"] == "config|get"
    with pytest.raises(redis.ResponseError):
        other.execute_command("GET")  # refused, but looked up: it still counts as the last
    assert line_of(admin, other_id)["cmd"] == "get"
    with pytest.raises(redis.ResponseError):
        other.execute_command("NOSUCH")
    assert line_of(admin, other_id)["cmd"] == "NULL"
    assert admin.execute_command("CLIENT", "INFO").split(" cmd=")[1].split(" ")[0] == "client|info"
