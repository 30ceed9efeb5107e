

from boroughs.support.entitlements import permissions as _permissions  # registers the actions
from boroughs.support.entitlements import signal as _signal  # lets early-warning rules use the estimate

assert _permissions and _signal
