"""
Shared OpenStack plumbing for stacksalt's execution and state modules (synced as utils).

The public API is small on purpose; everything else is private:

``connect(cloud=None, config=None)``
    One reused ``openstack.connection.Connection`` per process and per (cloud, config): every
    module shares it. ``config`` is the ``openstack`` mapping read by the caller from minion
    config or pillar (``__salt__["config.get"]("openstack", {})``)::

        openstack:
          cloud: ironic              # default cloud name (else OS_CLOUD, else "default")
          clouds:
            ironic:                  # same keys as a clouds.yaml entry
              auth_type: none
              baremetal_endpoint_override: http://127.0.0.1:6385

    A cloud named in ``openstack:clouds`` wins; otherwise the name is looked up in
    ``clouds.yaml`` (``OS_CLIENT_CONFIG_FILE`` or the standard locations).
    Microversions belong to requests, not to the connection: each module names the one it
    needs in every call (``request(..., microversion=...)``: instance_backup asks compute for
    2.45, the flavor and aggregate modules for 2.88), so they share one connection, one token
    and one version discovery. ``MICROVERSIONS`` only sets the proxies' defaults.

``salt_connect(salt_funcs, cloud=None)`` / ``command_error(what, exc)``
    The same for loader modules (settings through their ``__salt__``: ``config.get``) and their
    error type. A cloud's ``auth: {auth_url: {host: controller1, port: 5000, path: /v3}}`` names
    a host instead of typing its address: the address is that host's own Salt mine entry
    (``stacksalt_address``, as ``salt/lib/addresses.jinja`` reads it for templates), looked up
    by exact id (``mine_url(spec, mine_get)``, ``resolve_mine_urls(config, cloud, mine_get)``).

``mask(data)`` / ``is_secret_key(key)`` / ``MASK``
    The project's one secret rule and mask (``_utils/stacksalt_secrets.py``): a deep copy with
    secret values replaced by ``MASK``; True for keys such as ``ipmi_password``, ``snmp_auth_key``.

``digest(value, salt=None)`` / ``digest_matches(value, stored)``
    A salted SHA-256 digest (``sha256$<salt>$<hex>``) of a secret, so a state can tell a real
    password change from the ``******`` the service returns on every read (``SERVICE_MASKS``).

``call(func, *args, retry_statuses=(409, 503), attempts=10, base_delay=0.2, max_delay=5.0, **kwargs)``
    Call ``func`` and retry with exponential backoff and jitter while it fails with one of the
    HTTP statuses (Ironic answers 503 when its conductor has no free worker or
    ``max_concurrent_clean`` is reached, 409 while a node is locked) or the connection is reset.

``http_status(exc)``
    The HTTP status of an openstacksdk/keystoneauth exception, or ``None``.

``request(proxy, method, url, microversion=None, retry=True, idempotent=None, before_retry=None, **kwargs)``
    One REST call through a service proxy (``conn.compute``...) with an explicit microversion;
    an HTTP error raises the openstacksdk exception. 409/503 and reset connections are retried
    only where a repeat cannot duplicate work or hide a conflict (``retry_decision``): always
    for GET/HEAD/OPTIONS/PUT/DELETE/PATCH (``idempotent=None``, by method); for a POST, after a
    refusal (409) but not after an answer that may have been lost once the work was done (503,
    reset), unless ``before_retry()`` first looks for that work and finds none.

``get_or_none(proxy, url, absent=(404,), **kwargs)``
    ``GET url`` through :func:`request` as parsed JSON, or ``None`` when the service answers
    one of the ``absent`` statuses (the object is not there).

``paged(proxy, path, key, params=None, marker_key="id", **kwargs)``
    Every item of a paged listing, through :func:`request`: the next page is asked with
    ``marker=<last item's marker_key>`` and the same filters while the service says there is
    one (Ironic and Glance: ``next``; Nova: ``<key>_links`` with rel ``next``).

``authenticates(auth_url, password, verify=True, cert=None, timeout=30, **identity)``
    Whether Keystone issues a token for a password: a session of its own for that user (not the
    shared connection), True on a token, False only on 401; any other failure raises.

``retry_decision(...)``
    The pure rule behind ``request``: ``raise``, ``retry`` or ``check`` (then retry).

``error_message(exc)``
    A one-line, secret-free message an operator can act on.

``guard_edges(namespace, edges)`` / ``CLIENT_ERRORS``
    The module edge, put around a module's public functions by its ``__init__``: an
    openstacksdk or keystoneauth error (``CLIENT_ERRORS``) becomes a ``CommandExecutionError``
    saying what failed, in the words ``edges`` gives each function, formatted with the call's
    arguments (``"reading flavor '{name}'"``). Salt's own errors pass unchanged, so a state
    catches ``(CommandExecutionError, SaltInvocationError)`` and nothing wider.

``mask_session_logging(session)``
    keystoneauth logs request and response bodies at debug level (a node create carries
    ``ipmi_password``): :func:`connect` masks them on every connection it makes.

Pure helpers of the modules' validation and planning (no API call), one copy for all:

``as_text(value)``
    A value as Nova and Glance store extra specs, metadata and properties: a string, YAML
    booleans as ``"true"``/``"false"``.

``value_error(value, kind)`` / ``is_count(value)``
    What is wrong with one extra spec or image property value of a ``kind`` (a tuple of
    choices, ``"int"``, ``"int0"``, ``"bool"``, ``"cpuset"``, ``"pagesize"``, ``"str"``), or None;
    whether a value is a whole number of zero or more (a resource amount).

``did_you_mean(word, known)``
    `` (did you mean 'x'?)`` for the closest of ``known`` to a misspelt ``word``, else ``''``.

``plan_item(action="none", changes=None, comment="", create=None, update=None)``
    One plan of an object (image, network, subnet): what the state shows and carries out.

``json_pointer(*parts)``
    The JSON Pointer (RFC 6901) of a field for a JSON Patch op, ``~`` and ``/`` escaped
    (Glance's and Ironic's PATCH both take them).

And for states, the same steps of every ``present``/``absent``:

``invalid(ret, what, errors)`` / ``carry_out(ret, label, verb, changes, apply, test, suffix="", retry_hint=False)``
    The refusal of invalid data, every problem on its own line; the last step of a state once
    it knows what to change (test mode: what would change; else ``apply()`` and its outcome).
"""

import difflib
import functools
import hashlib
import hmac
import importlib.util
import inspect
import json
import logging
import os
import random
import re
import secrets
import threading
import time

from salt.exceptions import CommandExecutionError, SaltInvocationError

try:
    import jsonpointer  # openstacksdk's own dependency (through jsonpatch)
    import keystoneauth1.exceptions
    import openstack
    import openstack.config
    import openstack.exceptions

    HAS_OPENSTACKSDK = True
    #: What the OpenStack client stack raises: HTTP errors, transport and auth failures.
    CLIENT_ERRORS = (openstack.exceptions.SDKException, keystoneauth1.exceptions.ClientException)
except ImportError:  # pragma: no cover - reported by the modules' __virtual__
    HAS_OPENSTACKSDK = False
    CLIENT_ERRORS = ()

__virtualname__ = "stacksalt_openstack"

#: Microversions requested from each service. Ironic 1.78 is the newest that both the
#: Debian 12 packages (Ironic 21) and current PyPI releases serve; it has traits (1.37),
#: per-node automated_clean (1.47) and node history (1.78).
MICROVERSIONS = {"baremetal": "1.78"}


def _load_secrets():
    # Salt loads utils under its own package name, so one util cannot import another by name:
    # the project's one secret rule is loaded from the sibling file.
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stacksalt_secrets.py")
    spec = importlib.util.spec_from_file_location("stacksalt_secrets_for_openstack", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_secrets = _load_secrets()
MASK = _secrets.MASK
SECRET_KEY_RE = _secrets.SECRET_KEY_RE
SERVICE_MASKS = _secrets.SERVICE_MASKS

#: HTTP connections kept per host: enough for the bulk states' worker pools.
POOL_SIZE = 32

_CONNECTIONS = {}
_LOCK = threading.Lock()


def __virtual__():
    return __virtualname__


def is_secret_key(key):
    """True when a mapping key names a secret (its value must never be printed)."""
    return _secrets.is_secret_key(key)


def mask(data):
    """Return a deep copy of ``data`` with every secret value replaced by ``MASK``."""
    return _secrets.mask(data)


def digest(value, salt=None):
    """Salted SHA-256 digest of a secret value: ``sha256$<salt>$<hex>``."""
    salt = salt or secrets.token_hex(8)
    mac = hmac.new(salt.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return f"sha256${salt}${mac}"


def digest_matches(value, stored):
    """True when ``stored`` (from :func:`digest`) is the digest of ``value``."""
    try:
        algo, salt, _ = str(stored).split("$", 2)
    except ValueError:
        return False
    return algo == "sha256" and hmac.compare_digest(digest(value, salt), str(stored))


def http_status(exc):
    """HTTP status code carried by an openstacksdk or keystoneauth exception, else None."""
    for attr in ("status_code", "http_status"):
        code = getattr(exc, attr, None)
        if isinstance(code, int):
            return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def error_message(exc):
    """One line describing ``exc`` for an operator (HTTP status and the service's reason)."""
    status = http_status(exc)
    text = getattr(exc, "details", None) or str(exc)
    # A service may quote the request back (a 400 naming a driver_info value).
    text = _secrets.mask_text(" ".join(str(text).split()))
    return f"HTTP {status}: {text}" if status else f"{type(exc).__name__}: {text}"


def _is_connection_reset(exc):
    # An overloaded service may drop a connection before answering: as transient as a 503.
    return type(exc).__name__ in ("ConnectFailure", "ConnectionError") and "reset" in str(exc).lower()


def call(func, *args, retry_statuses=(409, 503), attempts=10, base_delay=0.2, max_delay=5.0, **kwargs):
    """
    Call ``func(*args, **kwargs)``; on an HTTP error whose status is in ``retry_statuses``
    sleep (exponential backoff with full jitter, capped at ``max_delay``) and try again,
    ``attempts`` times in all. The last error is raised unchanged.
    """
    for attempt in range(1, attempts + 1):
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - filtered on the HTTP status just below
            transient = http_status(exc) in retry_statuses or _is_connection_reset(exc)
            if not transient or attempt == attempts:
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            time.sleep(random.uniform(delay / 2, delay))
    raise AssertionError("unreachable")  # pragma: no cover


#: Methods whose repetition has the effect of one call: RFC 9110's idempotent methods, and PATCH
#: (the modules' PATCH bodies set keys, none appends to a list; one that does passes idempotent=False).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
#: Failures that may come after the service did the work: a proxy or load balancer answering for a
#: service whose reply it lost, a connection reset before the answer. Retrying a POST after one of
#: them can create a second object (a second backup image) or turn our own success into a 409.
AMBIGUOUS_STATUSES = frozenset({502, 503, 504})


def retry_decision(status, reset, retry_statuses, idempotent, has_check, ambiguous_before=False):
    """
    What ``request`` does after a failed attempt: ``"raise"``, ``"retry"``, or ``"check"`` (call
    ``before_retry`` and retry only if it finds nothing).

    status
        The HTTP status of the failure (``None`` for a transport error).
    reset
        The connection was reset before an answer came.
    retry_statuses
        The statuses the caller counts as transient.
    idempotent
        A repeat has the effect of one call (GET, PUT, DELETE, PATCH of keys).
    has_check
        The caller gave a ``before_retry`` existence check.
    ambiguous_before
        An earlier attempt of this call failed ambiguously (so a 409 now may be our own work).
    """
    if not (status in retry_statuses or reset):
        return "raise"
    if idempotent:
        return "retry"
    if reset or status in AMBIGUOUS_STATUSES or ambiguous_before:
        return "check" if has_check else "raise"
    # The service answered and refused (409 while a server or node is busy): nothing was done.
    return "retry"


def request(
    proxy,
    method,
    url,
    microversion=None,
    retry=True,
    retry_statuses=(409, 503),
    idempotent=None,
    before_retry=None,
    attempts=10,
    base_delay=0.2,
    max_delay=5.0,
    **kwargs,
):
    """
    One REST call through ``proxy`` at ``microversion``; HTTP errors raise the openstacksdk
    exception. Failures with a status in ``retry_statuses`` (or a reset connection) are retried
    with backoff (see :func:`call`) as :func:`retry_decision` allows, unless ``retry`` is false.
    This is the only retry layer: openstacksdk's own repeats of 409/503 (its baremetal proxy
    has them on by default) are turned off for the call, or the two layers multiply (60
    requests per call in a 503 storm instead of ``attempts``).

    idempotent
        ``None``: by method (only POST is not). Pass ``True`` for a POST whose repeat is
        harmless (setting metadata), ``False`` for a PATCH that appends.
    before_retry
        For a non-idempotent call: ``before_retry()`` runs before a retry that follows an
        ambiguous failure and looks for what the lost attempt would have made (a flavor by name,
        a backup image by name and server). A value other than ``None`` means the work was done:
        ``request`` returns that value instead of a response. ``None`` means it was not: retry.
    """
    if idempotent is None:
        idempotent = method.upper() in IDEMPOTENT_METHODS
    kwargs.setdefault("status_code_retries", 0)
    ambiguous = False
    for attempt in range(1, attempts + 1):
        try:
            resp = proxy.request(url, method, microversion=microversion, raise_exc=False, **kwargs)
            openstack.exceptions.raise_from_response(resp)
            return resp
        except Exception as exc:  # noqa: BLE001 - decided on the HTTP status just below
            status, reset = http_status(exc), _is_connection_reset(exc)
            decision = "raise"
            if retry and attempt < attempts:
                decision = retry_decision(
                    status, reset, retry_statuses, idempotent, before_retry is not None, ambiguous
                )
            if decision == "raise":
                raise
            ambiguous = ambiguous or reset or status in AMBIGUOUS_STATUSES
        delay = min(max_delay, base_delay * 2 ** (attempt - 1))
        time.sleep(random.uniform(delay / 2, delay))
        if decision == "check":
            found = before_retry()
            if found is not None:
                return found
    raise AssertionError("unreachable")  # pragma: no cover


def get_or_none(proxy, url, absent=(404,), **kwargs):
    """``GET url`` (:func:`request`) as parsed JSON; ``None`` when the status is in ``absent``."""
    try:
        return request(proxy, "GET", url, **kwargs).json()
    except Exception as exc:  # noqa: BLE001 - only the "not there" statuses are an answer
        if http_status(exc) in absent:
            return None
        raise


def paged(proxy, path, key, params=None, marker_key="id", **kwargs):
    """
    Every item of the paged listing ``GET path`` (items under ``key``), page after page with
    ``marker`` set to the last item's ``marker_key`` (``uuid`` for Ironic), while the service
    links a next page. ``kwargs`` go to :func:`request` (``microversion``...).
    """
    params = dict(params or {})
    items = []
    while True:
        data = request(proxy, "GET", path, params=params, **kwargs).json()
        page = data.get(key, [])
        items.extend(page)
        more = data.get("next") or any(link.get("rel") == "next" for link in data.get(f"{key}_links", []))
        if not more or not page:
            return items
        params["marker"] = page[-1][marker_key]


def authenticates(auth_url, password, verify=True, cert=None, timeout=30, **identity):
    """
    True when the Keystone at ``auth_url`` issues a token for ``password`` and the user that
    ``identity`` names (keystoneauth's password arguments: ``username`` with ``user_domain_id``
    or ``user_domain_name``, or ``user_id``; ``project_name``/``project_id`` with its domain for
    a project-scoped token, none for an unscoped one). False only when Keystone answers 401
    (wrong password, disabled or unknown user, no access to the project); anything else (no
    answer, a 5xx, an auth_url that is not Keystone's) raises keystoneauth's error.

    The session is the caller's user's, not the shared connection: ``verify``/``cert`` (a CA
    bundle path, a client certificate) and ``timeout`` are a keystoneauth session's, usually
    those of the admin cloud (``conn.session.verify``). keystoneauth sends the password in the
    token request only, which it does not log; the session is masked as :func:`connect` masks
    its own all the same.
    """
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import generic

    plugin = generic.Password(auth_url=auth_url, password=password, **identity)
    session = mask_session_logging(ks_session.Session(auth=plugin, verify=verify, cert=cert, timeout=timeout))
    try:
        plugin.get_auth_ref(session)
    except CLIENT_ERRORS as exc:
        if http_status(exc) == 401:
            return False
        raise
    finally:
        session.session.close()
    return True


def _cloud_settings(cloud, config):
    config = config or {}
    name = cloud or config.get("cloud") or os.environ.get("OS_CLOUD") or "default"
    inline = (config.get("clouds") or {}).get(name)
    return name, inline


def connect(cloud=None, config=None):
    """
    Return the process-wide connection for ``cloud`` (see the module docstring).

    Raises ``RuntimeError`` with an actionable message when the cloud is not configured.
    """
    if not HAS_OPENSTACKSDK:
        raise RuntimeError("openstacksdk is not installed on this minion")
    name, inline = _cloud_settings(cloud, config)
    versions = dict(MICROVERSIONS)
    key = json.dumps([name, inline], sort_keys=True, default=str)
    with _LOCK:
        conn = _CONNECTIONS.get(key)
        if conn is not None:
            return conn
        api_versions = {f"{svc}_api_version": ver for svc, ver in versions.items()}
        try:
            if inline is not None:
                settings = dict(inline)
                settings.update({k: v for k, v in api_versions.items() if k not in settings})
                # An inline definition is complete: OS_* variables of the process must not
                # blend into it (an OS_AUTH_TYPE=none would drop its credentials).
                region = openstack.config.get_cloud_region(
                    load_yaml_config=False, load_envvars=False, **settings
                )
            else:
                region = openstack.config.OpenStackConfig().get_one(cloud=name, **api_versions)
        except Exception as exc:  # noqa: BLE001 - openstacksdk raises several config errors
            raise RuntimeError(
                f"OpenStack cloud '{name}' is not configured: define openstack:clouds:{name} in the "
                f"minion config or pillar, or an entry '{name}' in clouds.yaml ({exc})"
            ) from exc
        conn = openstack.connection.Connection(config=region)
        _widen_pool(conn)
        mask_session_logging(conn.session)
        _CONNECTIONS[key] = conn
        return conn


MINE_ADDRESS = "stacksalt_address"


def mine_url(spec, mine_get):
    """
    The URL a ``{host, port, scheme, path}`` spec names, with the host's address from the Salt
    mine (``mine_get``: a loader's ``mine.get``), or the spec itself when it is a string. The
    host is matched by exact id (``tgt_type=list``): never a glob another host's id could match.
    Raises ``RuntimeError`` naming the host when it has published no address.
    """
    if not isinstance(spec, dict):
        return spec
    host = spec.get("host")
    if mine_get is None:
        raise RuntimeError(
            f"host '{host}' names an address in the Salt mine, and mine.get is not available here"
        )
    found = (mine_get(host, MINE_ADDRESS, tgt_type="list") or {}).get(host) if host else None
    if not found:
        raise RuntimeError(
            f"no address in the Salt mine for host '{host}': run `salt {host} mine.update` on it "
            f"(it publishes {MINE_ADDRESS}), then try again"
        )
    port = f":{spec['port']}" if spec.get("port") else ""
    return f"{spec.get('scheme', 'http')}://{sorted(found)[0]}{port}{spec.get('path', '')}"


def resolve_mine_urls(config, cloud, mine_get):
    """``config`` with the chosen inline cloud's ``auth.auth_url`` spec resolved (see mine_url)."""
    name, inline = _cloud_settings(cloud, config)
    auth_url = ((inline or {}).get("auth") or {}).get("auth_url")
    if not isinstance(auth_url, dict):
        return config
    try:
        resolved = mine_url(auth_url, mine_get)
    except RuntimeError as exc:
        raise RuntimeError(f"openstack:clouds:{name}:auth:auth_url: {exc}") from exc
    entry = {**inline, "auth": {**inline["auth"], "auth_url": resolved}}
    return {**config, "clouds": {**config["clouds"], name: entry}}


def salt_connect(salt_funcs, cloud=None):
    """
    :func:`connect` for loader modules (``salt_funcs``: their ``__salt__``): the ``openstack``
    settings come through ``config.get`` (minion config, then pillar), a host-named auth_url
    through ``mine.get``, and a cloud that is not configured raises ``CommandExecutionError``,
    which Salt reports without a traceback.
    """
    try:
        config = salt_funcs["config.get"]("openstack", {}) or {}
        return connect(cloud=cloud, config=resolve_mine_urls(config, cloud, salt_funcs.get("mine.get")))
    except RuntimeError as exc:
        raise CommandExecutionError(str(exc)) from exc


def command_error(what, exc):
    """A ``CommandExecutionError`` saying ``what`` failed and why (:func:`error_message`)."""
    return CommandExecutionError(f"{what}: {error_message(exc)}")


def guard_edges(namespace, edges):
    """
    Put the module edge around a loader module's public functions, from its ``__init__``:
    ``edges`` maps each function name in ``namespace`` (the module's ``globals()``) to what it
    does, in an operator's words, formatted with the call's arguments by name
    (``{"delete": "deleting flavor '{name}'"}``). Each such function is replaced by one that
    turns an openstacksdk or keystoneauth error (``CLIENT_ERRORS``) into :func:`command_error`
    of those words. Salt's errors and anything else pass unchanged: an error that is neither is
    a bug, and its traceback is what a maintainer needs.

    The replacement runs where the module's function runs (in its loader context), so the
    module's dunders resolve as before; calls between the module's own functions go through
    the guarded ones too. A name that is not a function of ``namespace`` is a ``ValueError``:
    a misspelt entry would otherwise leave a function unguarded without a word.
    """
    for name, what in edges.items():
        func = namespace.get(name)
        if getattr(func, "stacksalt_edge", None) is not None:
            continue  # already guarded
        if not inspect.isfunction(func):
            raise ValueError(f"guard_edges: {name!r} is not a function of this module")
        namespace[name] = _guarded(what, func)


def _guarded(what, func):
    @functools.wraps(func)
    def public(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (CommandExecutionError, SaltInvocationError):
            raise
        except CLIENT_ERRORS as exc:
            raise command_error(_edge_words(what, func, args, kwargs), exc) from exc

    public.stacksalt_edge = what
    return public


def _edge_words(what, func, args, kwargs):
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
        bound.apply_defaults()
        return what.format(**bound.arguments)
    except (TypeError, KeyError, IndexError, ValueError):
        return what


#: Loggers of keystoneauth and openstacksdk that may print request or response text at debug.
SECRET_LOGGERS = (
    "keystoneauth",
    "keystoneauth.session",
    "keystoneauth.session.request",
    "keystoneauth.session.response",
    "keystoneauth.session.body",
    "keystoneauth.session.request-id",
    "openstack",
    "openstack.baremetal",
    "openstack.config",
    "openstack.image",
    "openstack.compute",
)


class SecretLogFilter(logging.Filter):
    """Masks secrets (``_utils/stacksalt_secrets.py``) in the text of every record it sees."""

    def filter(self, record):
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's problem, not ours
            return True
        masked = _secrets.mask_text(text)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


_FILTER = SecretLogFilter()


def mask_session_logging(session):
    """
    Make a keystoneauth ``session`` log no secret at debug level: it logs every request as a
    curl line with its body (``ipmi_password`` in a node create) and every response body.
    The bodies are masked before they are formatted, whatever logger the caller passed; a
    filter on the known loggers masks what is formatted elsewhere. Idempotent.
    """
    for name in SECRET_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    if getattr(session, "_stacksalt_masked", False):
        return session
    log_request, log_response = session._http_log_request, session._http_log_response

    def masked_request(url, *args, **kwargs):
        if kwargs.get("json") is not None:
            kwargs["json"] = _secrets.mask(kwargs["json"])
        data = kwargs.get("data")
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                data = "<binary_data>"
        if isinstance(data, str):
            kwargs["data"] = _secrets.mask_text(data)
        if kwargs.get("query_params"):
            kwargs["query_params"] = _secrets.mask(dict(kwargs["query_params"]))
        return log_request(_secrets.mask_url(url), *args, **kwargs)

    def masked_response(*args, **kwargs):
        response = kwargs.get("response", args[0] if args else None)
        if kwargs.get("json") is not None:
            kwargs["json"] = _secrets.mask(kwargs["json"])
        if kwargs.get("text"):
            kwargs["text"] = _secrets.mask_text(kwargs["text"])
        elif response is not None and "json" not in kwargs:
            ctype = response.headers.get("content-type") or ""
            if ctype.startswith(("application/json", "text/plain")):
                # What keystoneauth would log, masked (it reads response.text itself otherwise).
                kwargs["text"] = _secrets.mask_text(response.text) or None
        return log_response(*args, **kwargs)

    session._http_log_request = masked_request
    session._http_log_response = masked_response
    session._stacksalt_masked = True
    return session


def _widen_pool(conn, size=POOL_SIZE):
    """Let up to ``size`` threads share the connection without discarding HTTP connections."""
    try:
        import requests.adapters

        session = conn.session.session
        for prefix in ("http://", "https://"):
            session.mount(prefix, requests.adapters.HTTPAdapter(pool_connections=size, pool_maxsize=size))
    except Exception:  # noqa: BLE001, S110 - a smaller pool only costs reconnects
        pass


_INT = re.compile(r"^[0-9]+$")
_CPU_SET = re.compile(r"^\^?[0-9]+(-[0-9]+)?(,\^?[0-9]+(-[0-9]+)?)*$")
_PAGE_SIZE = re.compile(r"^(small|large|any|[0-9]+([KMGT]i?B?|[kmgt]i?b?)?)$")
_BOOL = ("true", "false", "yes", "no", "1", "0", "on", "off")


def as_text(value):
    """``value`` as Nova and Glance keep it: a string, booleans as ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def value_error(value, kind):
    """
    What is wrong with ``value`` for a ``kind`` of extra spec or image property, or None: a
    tuple of choices, ``"int"`` (positive), ``"int0"`` (zero or more), ``"bool"``, ``"cpuset"``
    (``0-3,^2,5``), ``"pagesize"`` (``small``, ``large``, ``any`` or a size) or ``"str"`` (any).
    """
    text = as_text(value)
    if isinstance(kind, tuple):
        if text not in kind:
            return f"must be one of {', '.join(kind)}, got '{text}'"
    elif kind in ("int", "int0"):
        if isinstance(value, bool) or not _INT.match(text) or (kind == "int" and int(text) < 1):
            return f"must be a {'positive' if kind == 'int' else 'non-negative'} integer, got '{text}'"
    elif kind == "bool":
        if text.lower() not in _BOOL:
            return f"must be true or false, got '{text}'"
    elif kind == "cpuset":
        if not _CPU_SET.match(text):
            return f"must be a CPU list such as '0-3,^2,5', got '{text}'"
    elif kind == "pagesize":
        if not _PAGE_SIZE.match(text):
            return f"must be small, large, any or a size such as 2MB or 1GB, got '{text}'"
    return None


def is_count(value):
    """True for a whole number of zero or more written as digits (``"4"``, ``4``), not a bool."""
    return not isinstance(value, bool) and bool(_INT.match(as_text(value)))


def did_you_mean(word, known):
    """`` (did you mean 'x'?)`` for the closest of ``known`` to a misspelt ``word``, else ''."""
    for close in difflib.get_close_matches(str(word), sorted(known), n=1):
        return f" (did you mean '{close}'?)"
    return ""


def plan_item(action="none", changes=None, comment="", create=None, update=None):
    """
    One object's plan, as the modules' ``plan*`` functions return it: ``action`` (``none``,
    ``create``, ``update``, ``replace``, ``recreate``, ``refuse``...), ``changes`` (what the state
    shows), ``comment`` (why a plan is refused), and the arguments of the ``create`` and
    ``update`` calls that carry it out.
    """
    return {
        "action": action,
        "changes": changes or {},
        "comment": comment,
        "create": create,
        "update": update,
    }


def json_pointer(*parts):
    """The JSON Pointer (RFC 6901) of a field for a JSON Patch op: ``~`` and ``/`` escaped, so a
    key holding them is that key, not a nested path (``/properties/vendor~1model``)."""
    return jsonpointer.JsonPointer.from_parts([str(p) for p in parts]).path


def invalid(ret, what, errors):
    """``ret`` refusing invalid data: ``Invalid <what>, nothing was changed:`` and each error."""
    ret["comment"] = f"Invalid {what}, nothing was changed:\n" + "\n".join(f"  - {e}" for e in errors)
    return ret


def carry_out(ret, label, verb, changes, apply, test, suffix="", retry_hint=False):
    """
    A state's last step once it knows what to change (``label``: ``"Flavor 'm1'"``, ``verb``:
    ``"deleted"``): with ``test``, ``result: None`` and the ``changes`` a run would make; else
    ``apply()``, and ``ret`` says whether it went through (a Salt error is the comment; with
    ``retry_hint`` it adds that running the state again finishes the work). ``suffix`` ends the
    comments of both modes (notes such as `` (id 1234)``).
    """
    if test:
        ret.update(result=None, changes=changes, comment=f"{label} would be {verb}{suffix}")
        return ret
    try:
        apply()
    except (CommandExecutionError, SaltInvocationError) as exc:
        again = " (run the state again to finish)" if retry_hint else ""
        ret["comment"] = f"{label} could not be {verb}: {exc}{again}"
        return ret
    ret.update(result=True, changes=changes, comment=f"{label} {verb}{suffix}")
    return ret


#: Read failures that an earlier state of the same run may cure: a cloud user not registered yet
#: (401), a service not installed or started yet (no connection; 503 while it starts).
PENDING_STATUSES = (401, 503)


def _causes(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def pending_cause(exc):
    """Whether ``exc`` (or what caused it) is a failure an earlier change of the run may cure
    (:data:`PENDING_STATUSES`, a refused or failed connection; the ceph side has
    ``stacksalt_ceph.pending_cause``)."""
    for cause in _causes(exc):
        if http_status(cause) in PENDING_STATUSES:
            return True
        if isinstance(cause, ConnectionError) or type(cause).__name__ in (
            "ConnectFailure",
            "EndpointNotFound",
        ):
            return True
    return False


def could_not_read(ret, what, exc, test=False, pending=None):
    """
    ``ret`` for a read of ``what`` that failed with ``exc``: ``Could not read <what>: <exc>``. In
    test mode a failure that an earlier state of this run may cure (:func:`pending_cause`, or
    ``pending`` when the caller knows better: on a fresh site, the service user another host
    registers, the service this host installs) leaves the result unknown (None) and says so, the
    error included; the real run still fails on it.
    """
    if pending is None:
        pending = pending_cause(exc)
    if test and pending:
        ret.update(
            result=None,
            comment=f"{what[:1].upper()}{what[1:]} cannot be known before the earlier changes of this run "
            f"(a registration, a service or a tool they make): {exc}",
        )
    else:
        ret["comment"] = f"Could not read {what}: {exc}"
    return ret


def image_created_earlier(running, image):
    """
    Whether an earlier ``openstack_image.present`` of this test run would create ``image`` (by
    name). ``running`` is the state's ``__running__``: Salt's returns of the states run before it.
    """
    for tag, earlier in (running or {}).items():
        parts = tag.split("_|-")
        if parts[0] != "openstack_image" or parts[-1] != "present" or earlier.get("name") != image:
            continue
        if earlier.get("result") is None and "created" in (earlier.get("changes") or {}):
            return True
    return False


def resolve_image_references(references, find, where, test=False, running=None):
    """
    The image ids that ``references`` (``{property: image name}``, as
    ``openstack_image.references`` returns them) stand for, and notes for the state's comment.
    ``find(name)`` returns the image or None. A missing or inactive image is a
    ``SaltInvocationError`` naming ``<where>:properties:<key>``, unless (``test``) an earlier state
    of this run would create it: its id is not known yet, and the plan says so.
    """
    resolved, notes = {}, []
    for key, ref in references.items():
        here = f"{where}:properties:{key}"
        if test and image_created_earlier(running, ref):
            resolved[key] = f"(the id of image '{ref}')"
            notes.append(f"image '{ref}' of {key} would be created by an earlier state of this run")
            continue
        found = find(ref)
        if found is None:
            raise SaltInvocationError(
                f"{here}: no image '{ref}' in Glance (ensure it with openstack_image.present before this "
                "state: require it)"
            )
        if found["status"] != "active":
            raise SaltInvocationError(f"{here}: image '{ref}' is {found['status']}, not active")
        resolved[key] = found["id"]
    return resolved, notes


def reset():
    """Forget the cached connections (tests; a changed cloud definition gets a new one anyway)."""
    with _LOCK:
        for conn in _CONNECTIONS.values():
            try:
                conn.close()
            except Exception:  # noqa: BLE001, S110 - closing is best effort
                pass
        _CONNECTIONS.clear()
