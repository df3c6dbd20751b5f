"""PyIceberg 0.12 with authentication on, configured as its documentation shows
(mkdocs/docs/configuration.md, "Authentication Options"): the legacy OAuth2 properties
`credential` (with and without `oauth2-server-uri`) and `token`, and the AuthManager
`auth: {type: oauth2}`; against the catalog's own token endpoint and against an OpenID Connect
provider. Each test creates a namespace and a table, appends, and reads the rows back.
"""

from __future__ import annotations

import warnings
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog as PyCatalog
from pyiceberg.catalog import load_catalog
from pyiceberg.exceptions import ForbiddenError, NoSuchNamespaceError, NoSuchTableError, OAuthError, UnauthorizedError
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

ROWS = [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}, {"id": 3, "name": "three"}]
SCHEMA = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "name", StringType(), required=False))


def connect(catalog, **auth: Any) -> PyCatalog:
    return load_catalog("auth", type="rest", uri=catalog.uri, warehouse=catalog.warehouse, **auth)


def round_trip(py: PyCatalog, catalog, cleanup, ns: str) -> None:
    py.create_namespace(cleanup.add(catalog, ns))
    table = py.create_table((ns, "t"), SCHEMA)
    table.append(pa.Table.from_pylist(ROWS, schema=SCHEMA.as_arrow()))
    # A fresh load: the rows come back through the catalog, not the object in hand.
    rows = py.load_table((ns, "t")).scan().to_arrow().to_pylist()
    assert sorted(rows, key=lambda r: r["id"]) == ROWS


# --- the catalog's own token endpoint -------------------------------------------------------


def test_credential_default_token_endpoint(stack, cleanup, ns_name):
    """`credential` alone: PyIceberg asks `<uri>/v1/oauth/tokens` (a deprecated default, it warns)."""
    client_id, secret = stack.client(stack.catalog, "pyiceberg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        py = connect(stack.catalog, credential=f"{client_id}:{secret}")
    assert any("oauth2-server-uri" in str(w.message) for w in caught), [str(w.message) for w in caught]
    round_trip(py, stack.catalog, cleanup, ns_name)
    assert any(e["client"] == client_id and e["status"] == 200 for e in stack.catalog.token_requests() if e.get("client"))


def test_credential_with_oauth2_server_uri(stack, cleanup, ns_name):
    client_id, secret = stack.client(stack.catalog, "pyiceberg")
    py = connect(stack.catalog, credential=f"{client_id}:{secret}", **{"oauth2-server-uri": stack.catalog.token_endpoint})
    round_trip(py, stack.catalog, cleanup, ns_name)


def test_token(stack, cleanup, ns_name):
    """A token fetched beforehand (curl -d grant_type=client_credentials ...), given as `token`."""
    py = connect(stack.catalog, token=stack.token(stack.catalog, "pyiceberg"))
    round_trip(py, stack.catalog, cleanup, ns_name)


def test_auth_manager_oauth2(stack, cleanup, ns_name):
    """`auth: {type: oauth2, oauth2: {client_id, client_secret, token_url}}`: credentials in HTTP Basic."""
    client_id, secret = stack.client(stack.catalog, "pyiceberg")
    auth = {"type": "oauth2", "oauth2": {"client_id": client_id, "client_secret": secret, "token_url": stack.catalog.token_endpoint}}
    round_trip(connect(stack.catalog, auth=auth), stack.catalog, cleanup, ns_name)


def test_wrong_secret_is_refused(stack):
    client_id, _ = stack.client(stack.catalog, "pyiceberg")
    with pytest.raises(OAuthError, match=r"^invalid_client: Unknown client, wrong secret, or a disabled client$"):
        connect(stack.catalog, credential=f"{client_id}:not-the-secret", **{"oauth2-server-uri": stack.catalog.token_endpoint})


def test_no_credentials_are_refused(stack):
    # PyIceberg 0.12 without credential or token still sends "Authorization: Bearer None".
    with pytest.raises(UnauthorizedError, match=r"^NotAuthorizedException: Not authorized: the token is not valid: it is not a JWT \(is the client configured"):
        connect(stack.catalog)
    with pytest.raises(UnauthorizedError, match=r"^NotAuthorizedException: Not authorized: the token is not valid"):
        connect(stack.catalog, token="not-a-token")


def test_grants_decide_what_another_team_sees_and_does(stack, cleanup, ns_name):
    """Authorization through PyIceberg: another team's principal sees nothing of the namespace
    (no namespace, no table: as if missing), and once granted `read` loads and scans it but
    cannot append (403 ForbiddenError), and nothing it tried changed the table."""
    client_id, secret = stack.client(stack.catalog, "pyiceberg")
    owner = connect(stack.catalog, credential=f"{client_id}:{secret}", **{"oauth2-server-uri": stack.catalog.token_endpoint})
    round_trip(owner, stack.catalog, cleanup, ns_name)
    other_id, other_secret = stack.client(stack.catalog, "outsider", create=False)
    other = connect(stack.catalog, credential=f"{other_id}:{other_secret}", **{"oauth2-server-uri": stack.catalog.token_endpoint})
    assert (ns_name,) not in other.list_namespaces()
    with pytest.raises(NoSuchTableError):
        other.load_table((ns_name, "t"))
    with pytest.raises(NoSuchNamespaceError):
        other.list_tables(ns_name)
    stack.rest(stack.catalog).grant(f"team-{other_id}", ["read"], namespace=ns_name)
    table = other.load_table((ns_name, "t"))
    assert len(table.scan().to_arrow()) == len(ROWS)
    with pytest.raises(ForbiddenError):
        table.append(pa.Table.from_pylist(ROWS, schema=SCHEMA.as_arrow()))
    assert len(owner.load_table((ns_name, "t")).scan().to_arrow()) == len(ROWS)


# --- an OpenID Connect provider -------------------------------------------------------------


def test_oidc_token(stack, cleanup, ns_name):
    py = connect(stack.oidc, token=stack.issuer.token("pyiceberg"))
    round_trip(py, stack.oidc, cleanup, ns_name)


def test_oidc_credential_with_oauth2_server_uri(stack, cleanup, ns_name):
    """`credential` with `oauth2-server-uri` = the provider's token endpoint (scope: PyIceberg's
    default, `catalog`)."""
    py = connect(
        stack.oidc,
        credential=f"pyiceberg:{stack.issuer.clients['pyiceberg']}",
        **{"oauth2-server-uri": stack.issuer.token_endpoint},
    )
    round_trip(py, stack.oidc, cleanup, ns_name)


def test_oidc_auth_manager_oauth2(stack, cleanup, ns_name):
    auth = {
        "type": "oauth2",
        "oauth2": {"client_id": "pyiceberg", "client_secret": stack.issuer.clients["pyiceberg"], "token_url": stack.issuer.token_endpoint},
    }
    round_trip(connect(stack.oidc, auth=auth), stack.oidc, cleanup, ns_name)


@pytest.mark.filterwarnings("ignore:Deprecated in 0.8.0:DeprecationWarning")
def test_oidc_catalog_token_endpoint_says_where_tokens_come_from(stack):
    """`credential` without `oauth2-server-uri` asks the catalog, which issues no tokens in oidc mode."""
    with pytest.raises(OAuthError, match=rf"^unsupported_grant_type: This catalog issues no tokens: get one from your identity provider \({stack.issuer.issuer}\)$"):
        connect(stack.oidc, credential=f"pyiceberg:{stack.issuer.clients['pyiceberg']}")
