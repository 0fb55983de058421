from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken
from accounts.services import api_token_revoke


class Command(BaseCommand):
    help = "Revoke an API token by its id (the part after am_ and before the next _)."

    def add_arguments(self, parser):
        parser.add_argument("key_id")

    def handle(self, *args, **options):
        key_id = options["key_id"].removeprefix(ApiToken.PREFIX).split("_")[0]
        token = ApiToken.objects.filter(key_id=key_id).first()
        if token is None:
            raise CommandError(f'No token with id "{key_id}".')
        api_token_revoke(token=token)
        self.stdout.write(f"Token {token.key_id} of {token.user} revoked.")
