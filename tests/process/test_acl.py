"""ACLs and authentication (spec 6.7, 6.8, 6.16, 11)."""

import pytest
from kazoo.exceptions import AuthFailedError, InvalidACLError, NoAuthError
from kazoo.security import (ACL, CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, Id,
                            Permissions, make_acl, make_digest_acl)

import harness
import zkwire as W

P = Permissions


def digest_id(user, pw):
    return harness.digest(user, pw)


def all_but(bit):
    return P.ALL & ~bit


def test_world_read_only_node(make_client, path):
    owner = make_client()
    other = make_client()
    owner.create(path, b"r", acl=READ_ACL_UNSAFE)
    assert other.get(path)[0] == b"r"
    assert other.get_children(path) == []
    assert other.get_acls(path)[0] == READ_ACL_UNSAFE
    with pytest.raises(NoAuthError):
        other.set(path, b"x")
    with pytest.raises(NoAuthError):
        other.create(path + "/c")
    with pytest.raises(NoAuthError):
        other.set_acls(path, OPEN_ACL_UNSAFE)
    # the node itself can be deleted: DELETE is checked on the parent
    other.delete(path)


@pytest.mark.parametrize("missing", ["READ", "WRITE", "CREATE", "DELETE", "ADMIN"])
def test_permission_required_per_operation(server, make_client, path, missing):
    bit = getattr(P, missing)
    zk = make_client()
    zk.create(path)
    zk.create(path + "/victim", b"v")  # child to delete, created before the ACL change
    zk.set_acls(path, [ACL(all_but(bit), Id("world", "anyone"))])

    def expect(needed, fn, *args, **kw):
        if needed == bit:
            with pytest.raises(NoAuthError):
                fn(*args, **kw)
        else:
            fn(*args, **kw)

    expect(P.READ, zk.get, path)
    expect(P.READ, zk.get_children, path)
    expect(P.WRITE, zk.set, path, b"new")
    expect(P.CREATE, zk.create, path + "/new")
    expect(P.DELETE, zk.delete, path + "/victim")
    # getACL needs READ or ADMIN: removing just one of them is fine
    zk.get_acls(path)
    expect(P.ADMIN, zk.set_acls, path, [ACL(all_but(bit), Id("world", "anyone"))])
    # exists checks READ since 3.8.4/3.9.2; Debian's 3.8.0 does not
    if bit == P.READ and not server.is_zookeeper:
        with pytest.raises(NoAuthError):
            zk.exists(path)
    else:
        assert zk.exists(path) is not None
    # check inside multi needs READ
    t = zk.transaction()
    t.check(path, -1)
    res = t.commit()
    if bit == P.READ:
        assert isinstance(res[0], NoAuthError)
    else:
        assert res == [True]


def test_get_acl_needs_read_or_admin(make_client, path):
    zk = make_client()
    zk.create(path, acl=[ACL(P.WRITE | P.CREATE | P.DELETE, Id("world", "anyone"))])
    with pytest.raises(NoAuthError):
        zk.get_acls(path)
    with pytest.raises(NoAuthError):
        zk.get(path)


def test_digest_scheme(make_client, path):
    alice = make_client(auth_data=[("digest", "alice:secret")])
    anon = make_client()
    wrong = make_client(auth_data=[("digest", "alice:wrong")])
    late = make_client()
    alice.create(path, b"a", acl=[make_digest_acl("alice", "secret", all=True)])
    assert alice.get(path)[0] == b"a"
    for c in (anon, wrong):
        with pytest.raises(NoAuthError):
            c.get(path)
        with pytest.raises(NoAuthError):
            c.set(path, b"x")
    late.add_auth("digest", "alice:secret")
    assert late.get(path)[0] == b"a"
    late.set(path, b"b")
    acl, _ = alice.get_acls(path)
    assert acl == [ACL(P.ALL, Id("digest", digest_id("alice", "secret")))]


def test_creator_all_acl(make_client, path):
    zk = make_client(auth_data=[("digest", "bob:pw")])
    zk.create(path, acl=CREATOR_ALL_ACL)
    acl, _ = zk.get_acls(path)
    assert acl == [ACL(P.ALL, Id("digest", digest_id("bob", "pw")))]
    # two authenticated identities -> one entry per identity (ip is not an 'auth' identity)
    zk.add_auth("digest", "carol:pw2")
    zk.create(path + "/two", acl=CREATOR_ALL_ACL)
    acl, _ = zk.get_acls(path + "/two")
    assert sorted(acl) == sorted([ACL(P.ALL, Id("digest", digest_id("bob", "pw"))),
                                  ACL(P.ALL, Id("digest", digest_id("carol", "pw2")))])
    anon = make_client()
    with pytest.raises(NoAuthError):
        anon.get(path)
    # without any authenticated identity the 'auth' scheme is invalid
    with pytest.raises(InvalidACLError):
        anon.create(path + "/anon", acl=CREATOR_ALL_ACL)
    assert anon.exists(path + "/anon") is None


def test_ip_scheme(make_client, path):
    zk = make_client()
    zk.create(path)
    zk.create(path + "/local", b"l", acl=[make_acl("ip", "127.0.0.1", all=True)])
    zk.create(path + "/net", b"n", acl=[make_acl("ip", "127.0.0.0/8", all=True)])
    zk.create(path + "/far", b"f", acl=[make_acl("ip", "10.0.0.0/8", all=True)])
    assert zk.get(path + "/local")[0] == b"l"
    assert zk.get(path + "/net")[0] == b"n"
    with pytest.raises(NoAuthError):
        zk.get(path + "/far")
    with pytest.raises(NoAuthError):
        zk.set(path + "/far", b"x")
    # ip identity is present without any add_auth, and ip ACLs are not redacted
    acl, _ = zk.get_acls(path + "/local")
    assert acl == [ACL(P.ALL, Id("ip", "127.0.0.1"))]


def test_invalid_acls(make_client, make_raw, path):
    zk = make_client(auth_data=[("digest", "dan:pw")])
    zk.create(path)
    bad_lists = [
        [ACL(P.ALL, Id("world", "bob"))],
        [ACL(P.ALL, Id("foo", "bar"))],
        [ACL(P.ALL, Id("digest", "nocolon"))],
        [ACL(P.ALL, Id("ip", "not-an-ip"))],
    ]
    for i, acl in enumerate(bad_lists):
        with pytest.raises(InvalidACLError):
            zk.create("%s/bad%d" % (path, i), acl=acl)
        with pytest.raises(InvalidACLError):
            zk.set_acls(path, acl)
    with pytest.raises(InvalidACLError):
        zk.set_acls(path, [])
    assert zk.get_acls(path)[0] == OPEN_ACL_UNSAFE  # unchanged
    assert zk.get_children(path) == []
    raw = make_raw()
    assert raw.create(path + "/empty", acl=[])[0].err == W.INVALIDACL
    assert raw.create(path + "/null", acl=None)[0].err == W.INVALIDACL
    # only an ip identity: 'auth' scheme is invalid
    assert raw.create(path + "/auth", acl=[(31, "auth", "")])[0].err == W.INVALIDACL
    # INVALIDACL is checked before existence on setACL
    assert raw.set_acl(path + "/missing", [])[0].err == W.INVALIDACL


def test_get_acl_redacts_digest_for_non_admin(make_client, path):
    owner = make_client(auth_data=[("digest", "erin:pw")])
    acl = [ACL(P.READ, Id("world", "anyone")),
           make_digest_acl("erin", "pw", all=True),
           ACL(P.READ, Id("ip", "127.0.0.1"))]
    owner.create(path, acl=acl)
    full, _ = owner.get_acls(path)
    assert sorted(full) == sorted(acl)
    reader = make_client()
    seen, _ = reader.get_acls(path)
    assert sorted(seen) == sorted([ACL(P.READ, Id("world", "anyone")),
                                   ACL(P.ALL, Id("digest", "erin:x")),
                                   ACL(P.READ, Id("ip", "127.0.0.1"))])


def test_super_digest_bypasses_acls(server, make_client, make_raw, path):
    assert server.super_digest, "the module server runs with a super digest"
    owner = make_client(auth_data=[("digest", "frank:pw")])
    owner.create(path, b"s", acl=[make_digest_acl("frank", "pw", all=True)])
    owner.create(path + "/kid", b"k", acl=[make_acl("ip", "10.0.0.0/8", all=True)])
    su = make_client(auth_data=[("digest", "%s:%s" % (harness.SUPER_USER, harness.SUPER_PASSWORD))])
    assert su.get(path)[0] == b"s"
    su.set(path, b"t")
    assert su.get(path + "/kid")[0] == b"k"
    full, _ = su.get_acls(path)  # super counts as ADMIN: no redaction
    assert full == [make_digest_acl("frank", "pw", all=True)]
    su.set_acls(path + "/kid", OPEN_ACL_UNSAFE)
    su.delete(path + "/kid")
    su.delete(path)
    # the super identity shows up in whoAmI as ('super', '')
    raw = make_raw()
    assert raw.auth("digest", ("%s:%s" % (harness.SUPER_USER, harness.SUPER_PASSWORD)).encode()).err == 0
    rep, ids = raw.who_am_i()
    assert ("super", "") in ids and ("digest", harness.SUPER_USER) in ids
    # a wrong super password is just another digest identity
    other = make_client(auth_data=[("digest", "%s:nope" % harness.SUPER_USER)])
    owner.create(path, acl=[make_digest_acl("frank", "pw", all=True)])
    with pytest.raises(NoAuthError):
        other.get(path)


def test_auth_failure_unknown_scheme(make_client):
    zk = make_client()
    with pytest.raises(AuthFailedError):
        zk.add_auth("nosuch", "whatever")


def test_digest_auth_without_colon_succeeds(make_client, path):
    zk = make_client()
    zk.add_auth("digest", "nocolon")
    zk.create(path, acl=CREATOR_ALL_ACL)
    acl, _ = zk.get_acls(path)
    assert len(acl) == 1 and acl[0].id.scheme == "digest"
    assert acl[0].id.id.startswith("nocolon:")
