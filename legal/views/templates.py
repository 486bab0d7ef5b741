"""Legal's templates pages."""

urlpatterns = []
