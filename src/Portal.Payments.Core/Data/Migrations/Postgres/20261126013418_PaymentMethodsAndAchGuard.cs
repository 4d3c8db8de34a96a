using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PaymentMethodsAndAchGuard : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_methods_AccountId_GatewayKey_Token",
                table: "pp_payment_methods",
                columns: new[] { "AccountId", "GatewayKey", "Token" },
                unique: true);

            // ACH authorizations are evidence: never updated; deleted only after their retention ends.
            migrationBuilder.Sql("""
                CREATE FUNCTION pp_ach_authorizations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' THEN
                        RAISE EXCEPTION 'ACH authorizations are immutable';
                    END IF;
                    IF NOT EXISTS (SELECT 1 FROM pp_ach_revocations r WHERE r."AuthorizationId" = OLD."Id" AND r."RetainUntil" < now()) THEN
                        RAISE EXCEPTION 'ACH authorizations are kept until two years after revocation';
                    END IF;
                    RETURN OLD;
                END $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER pp_ach_authorizations_guard BEFORE UPDATE OR DELETE ON pp_ach_authorizations
                FOR EACH ROW EXECUTE FUNCTION pp_ach_authorizations_guard();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS pp_ach_authorizations_guard ON pp_ach_authorizations;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS pp_ach_authorizations_guard();");
            migrationBuilder.DropIndex(
                name: "IX_pp_payment_methods_AccountId_GatewayKey_Token",
                table: "pp_payment_methods");
        }
    }
}
