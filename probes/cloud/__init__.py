"""Cloud-account facts (object type `cloud-account`): read-only API answers of the tenant's account, from the
provider's SDK or the CLI's saved JSON (assess.probes.cloud.collector)."""

from assess.probes.cloud.aws_facts import FACTS
from assess.probes.facts import declare

for _name, (_derive, _text) in FACTS.items():
    declare(_name, _text, object_type="cloud-account")
