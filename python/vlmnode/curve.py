"""CURVE for a node's sockets from the port's "security" object in VLMNODE_WIRING (docs/multi-host.md
"Wiring"): key file paths, loaded with pyzmq's zmq.auth; a port that binds is a CURVE server whose ZAP
handler (zmq.auth.thread.ThreadAuthenticator, one per context) admits the NAME.pub files of "authorized";
a port that connects is a CURVE client that checks "server_key"."""
import glob
import os
import sys
import threading

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

_authenticators = {}  # id(context) -> (context, ThreadAuthenticator): libzmq asks one ZAP handler per context
_lock = threading.Lock()


class AuthorizedKeys:
    """The ZAP decision of one port: admits the keys of a directory of NAME.pub files; counts the
    refused and logs each refused key once (a bounded set)."""

    max_logged = 1024

    def __init__(self, what, directory):
        self.what, self.keys = what, set()
        for path in sorted(glob.glob(os.path.join(directory, "*.pub"))):
            public, _ = zmq.auth.load_certificate(path)
            self.keys.add(public)
        if not self.keys:
            raise ValueError(f"authorized-keys directory {directory} holds no NAME.pub file")
        self.accepted = self.refused = 0
        self._logged = set()

    def callback(self, domain, key):
        if key in self.keys:
            self.accepted += 1
            return True
        self.refused += 1
        if len(self._logged) < self.max_logged and key not in self._logged:
            self._logged.add(key)
            print(f"vlmnode: {self.what}: refused CURVE client key {key.decode()}: not in the authorized keys "
                  "(further attempts are counted, not logged)", file=sys.stderr, flush=True)
        return False


def _load_identity(path):
    """A NAME.key's pair; refused, like ssh and the Swift side, when group or others may read it."""
    public, secret = zmq.auth.load_certificate(path)
    if secret is None:
        raise ValueError(f"{path} has no secret-key (give the NAME.key file, not NAME.pub)")
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077:
        raise ValueError(f"{path} holds a secret key but is accessible by group or others (mode {mode:o}); run chmod 600 {path}")
    return public, secret


def apply_security(sock, binding, context, what, binds=None):
    """Makes `sock` a CURVE server (when it binds: `binds`, default binding.bind) or client from
    binding.security; call before
    bind/connect. A server's AuthorizedKeys (accepted/refused counters) is kept as binding.curve.
    Raises WiringError naming `what` for a half pair, the other side's field or a bad key file."""
    from .node import WiringError
    binds = bool(binding.bind) if binds is None else binds
    s = binding.security or {}
    identity, authorized, server_key = s.get("identity"), s.get("authorized"), s.get("server_key")
    side, other = (("authorized", authorized), "server_key") if binds else (("server_key", server_key), "authorized")
    if s.get(other) is not None:
        raise WiringError(f"{what}: security: \"{other}\" is for a port that {'connects' if binds else 'binds'}")
    if (identity is None) != (side[1] is None):
        raise WiringError(f"{what}: security: \"identity\" and \"{side[0]}\" go together")
    if identity is None:
        return None
    if not binding.endpoint or not binding.endpoint.startswith("tcp://"):
        raise WiringError(f"{what}: CURVE applies to tcp:// endpoints; {binding.endpoint} is not one")
    try:
        public, secret = _load_identity(identity)
        sock.curve_publickey, sock.curve_secretkey = public, secret
        if not binds:
            sock.curve_serverkey = zmq.auth.load_certificate(server_key)[0]
            return None
        keys = AuthorizedKeys(what, authorized)
    except (OSError, ValueError) as e:
        raise WiringError(f"{what}: {e}") from None
    with _lock:
        if id(context) not in _authenticators:
            auth = ThreadAuthenticator(context)
            auth.start()
            _authenticators[id(context)] = (context, auth)
        auth = _authenticators[id(context)][1]
    domain = f"vlmnode:{id(keys)}"  # one ZAP domain per port: each has its own authorized set
    auth.configure_curve_callback(domain=domain, credentials_provider=keys)
    sock.curve_server = True
    sock.zap_domain = domain.encode()
    binding.curve = keys
    return keys
