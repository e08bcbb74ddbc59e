"""Where each Microsoft cloud signs in and which resource Exchange Online is in it (research §2.1)."""

from __future__ import annotations

from dataclasses import dataclass

EXO_PUBLIC_CLIENT_ID = "fb78d390-0c51-40cd-8e17-fdbfab77341b"   # the ExchangeOnlineManagement v3 module


@dataclass(frozen=True, slots=True)
class Cloud:
    name: str
    authority_host: str      # https://login host, no tenant
    resource: str            # Exchange Online's resource; the scope is ``{resource}/.default``


CLOUDS: dict[str, Cloud] = {c.name: c for c in (
    Cloud("worldwide", "https://login.microsoftonline.com", "https://outlook.office365.com"),
    Cloud("gcchigh", "https://login.microsoftonline.us", "https://outlook.office365.us"),
    Cloud("dod", "https://login.microsoftonline.us", "https://outlook-dod.office365.us"),
    Cloud("china", "https://login.partner.microsoftonline.cn", "https://partner.outlook.cn"),
)}

# msal validates these hosts itself; any other (a simulator, a test authority) needs instance_discovery off.
MICROSOFT_LOGIN_HOSTS = frozenset({"login.microsoftonline.com", "login.microsoftonline.us",
                                   "login.partner.microsoftonline.cn", "login.microsoft.com",
                                   "login.windows.net", "login.chinacloudapi.cn", "login-us.microsoftonline.com"})
