using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Payments.Data.Migrations.Sqlite
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
                CREATE TRIGGER pp_ach_authorizations_no_update BEFORE UPDATE ON pp_ach_authorizations
                BEGIN SELECT RAISE(ABORT, 'ACH authorizations are immutable'); END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER pp_ach_authorizations_retained BEFORE DELETE ON pp_ach_authorizations
                WHEN NOT EXISTS (SELECT 1 FROM pp_ach_revocations r WHERE r.AuthorizationId = OLD.Id AND r.RetainUntil < strftime('%Y-%m-%d %H:%M:%f', 'now'))
                BEGIN SELECT RAISE(ABORT, 'ACH authorizations are kept until two years after revocation'); END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS pp_ach_authorizations_no_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS pp_ach_authorizations_retained;");
            migrationBuilder.DropIndex(
                name: "IX_pp_payment_methods_AccountId_GatewayKey_Token",
                table: "pp_payment_methods");
        }
    }
}
