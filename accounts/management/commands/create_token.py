from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from accounts.models import ApiToken
from accounts.services import api_token_issue


class Command(BaseCommand):
    help = (
        "Issue an API token for USER and print it once (only its hash is stored). "
        "Revoke it in the admin (Accounts > API tokens > Revoke) or with revoke_token."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--scope",
            choices=[s.value for s in ApiToken.Scope],
            default=ApiToken.Scope.READ,
            help="read (default) or write_reports (observers filing reports).",
        )
        parser.add_argument("--expires", help="ISO date-time with a zone, e.g. 2027-01-01T00:00Z")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_active:
            raise CommandError(f'No active user "{options["username"]}".')
        expires = None
        if options["expires"]:
            expires = parse_datetime(options["expires"].replace("Z", "+00:00"))
            if expires is None or expires.tzinfo is None:
                raise CommandError("--expires: give an ISO date-time with a zone.")
        token, plain = api_token_issue(
            user=user, name=options["name"], scope=options["scope"], expires_at=expires
        )
        self.stdout.write(f"Token {token.key_id} for {user.username} ({token.scope}), shown once:")
        self.stdout.write(plain)
