using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Portal.Payments.Data.Migrations.Postgres
{
    /// <summary>
    /// The whole schema of the first release (the pre-release migrations squashed into one). Besides the tables:
    /// the trigger and its function that keep ACH authorizations immutable.
    /// </summary>
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pp_ach_authorizations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PaymentMethodId = table.Column<Guid>(type: "uuid", nullable: false),
                    AgreementVersion = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    AgreementSha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SignerName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    UserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SignedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    IpAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    AccountLast4 = table.Column<string>(type: "character varying(4)", maxLength: 4, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_ach_authorizations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_ach_revocations",
                columns: table => new
                {
                    AuthorizationId = table.Column<Guid>(type: "uuid", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    RetainUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_ach_revocations", x => x.AuthorizationId);
                });

            migrationBuilder.CreateTable(
                name: "pp_audit_events",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SubjectId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    DetailJson = table.Column<string>(type: "text", nullable: true),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_audit_events", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_erp_sync_state",
                columns: table => new
                {
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Cursor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LastSyncedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    LeaseOwner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LeaseExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_erp_sync_state", x => x.AccountId);
                });

            migrationBuilder.CreateTable(
                name: "pp_gateway_customers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GatewayKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CustomerId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_gateway_customers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_gateway_events",
                columns: table => new
                {
                    GatewayKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EventId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PaymentId = table.Column<Guid>(type: "uuid", nullable: true),
                    Outcome = table.Column<int>(type: "integer", nullable: false),
                    OccurredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ProcessedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_gateway_events", x => new { x.GatewayKey, x.EventId });
                });

            migrationBuilder.CreateTable(
                name: "pp_grid_preferences",
                columns: table => new
                {
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Grid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DefaultViewId = table.Column<Guid>(type: "uuid", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_grid_preferences", x => new { x.AccountId, x.UserId, x.Grid });
                });

            migrationBuilder.CreateTable(
                name: "pp_invoice_comments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    InvoiceId = table.Column<long>(type: "bigint", nullable: false),
                    AuthorUserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    AuthorName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Text = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_invoice_comments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_invoices",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ExternalId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Number = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Type = table.Column<int>(type: "integer", nullable: false),
                    PoNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Reference = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    NumberKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    PoKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    ReferenceKey = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    DocumentDate = table.Column<DateOnly>(type: "date", nullable: false),
                    DueDate = table.Column<DateOnly>(type: "date", nullable: false),
                    Currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    OriginalMinor = table.Column<long>(type: "bigint", nullable: false),
                    OpenMinor = table.Column<long>(type: "bigint", nullable: false),
                    DiscountMinor = table.Column<long>(type: "bigint", nullable: true),
                    DiscountDate = table.Column<DateOnly>(type: "date", nullable: true),
                    IsOpen = table.Column<bool>(type: "boolean", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    ScheduledFor = table.Column<DateOnly>(type: "date", nullable: true),
                    ActivePaymentId = table.Column<Guid>(type: "uuid", nullable: true),
                    CommentCount = table.Column<int>(type: "integer", nullable: false),
                    SyncedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_invoices", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_outbox",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PayloadJson = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    LastError = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DeadLetteredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LeaseOwner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LeaseExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_outbox", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_payment_methods",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    GatewayKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Token = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Type = table.Column<int>(type: "integer", nullable: false),
                    BrandOrBank = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Last4 = table.Column<string>(type: "character varying(4)", maxLength: 4, nullable: false),
                    ExpiryMonth = table.Column<int>(type: "integer", nullable: true),
                    ExpiryYear = table.Column<int>(type: "integer", nullable: true),
                    HolderName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    BillingPostalCode = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    RoutingNumber = table.Column<string>(type: "character varying(9)", maxLength: 9, nullable: true),
                    BankAccountType = table.Column<int>(type: "integer", nullable: true),
                    HolderType = table.Column<int>(type: "integer", nullable: true),
                    Nickname = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    IsDefault = table.Column<bool>(type: "boolean", nullable: false),
                    VerificationPending = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedByUserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_payment_methods", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_payments",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    AmountMinor = table.Column<long>(type: "bigint", nullable: false),
                    DiscountMinor = table.Column<long>(type: "bigint", nullable: false),
                    ShortMinor = table.Column<long>(type: "bigint", nullable: false),
                    PaymentMethodId = table.Column<Guid>(type: "uuid", nullable: true),
                    MethodDescription = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ScheduledFor = table.Column<DateOnly>(type: "date", nullable: true),
                    IdempotencyKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    GatewayKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    GatewayReference = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ReceiptNumber = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ReceiptKey = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false, collation: "C"),
                    CreatedByUserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedByName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedByEmail = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    AccountName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    MethodKey = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    PaidByKey = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FailureReason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Memo = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    MemoKey = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    InvoiceCount = table.Column<int>(type: "integer", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LeaseExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextCheckAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    StatusChecks = table.Column<int>(type: "integer", nullable: false),
                    ChargeStartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    AcceptedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    StatusChangedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_payments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_saved_views",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OwnerUserId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Grid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    OwnerName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    IsShared = table.Column<bool>(type: "boolean", nullable: false),
                    LayoutJson = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_saved_views", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_sent_emails",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    AccountId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    To = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Subject = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    TextBody = table.Column<string>(type: "text", nullable: false),
                    HtmlBody = table.Column<string>(type: "text", nullable: true),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    PaymentId = table.Column<Guid>(type: "uuid", nullable: true),
                    SentAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Transport = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_sent_emails", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pp_payment_allocations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    PaymentId = table.Column<Guid>(type: "uuid", nullable: false),
                    InvoiceId = table.Column<long>(type: "bigint", nullable: false),
                    InvoiceExternalId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    InvoiceNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    InvoiceNumberKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    InvoiceType = table.Column<int>(type: "integer", nullable: false),
                    OpenBalanceMinor = table.Column<long>(type: "bigint", nullable: false),
                    DiscountMinor = table.Column<long>(type: "bigint", nullable: false),
                    ShortMinor = table.Column<long>(type: "bigint", nullable: false),
                    AppliedMinor = table.Column<long>(type: "bigint", nullable: false),
                    ShortReason = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Comment = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pp_payment_allocations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_pp_payment_allocations_pp_payments_PaymentId",
                        column: x => x.PaymentId,
                        principalTable: "pp_payments",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_pp_ach_authorizations_AccountId_PaymentMethodId",
                table: "pp_ach_authorizations",
                columns: new[] { "AccountId", "PaymentMethodId" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_audit_events_AccountId_At",
                table: "pp_audit_events",
                columns: new[] { "AccountId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_gateway_customers_GatewayKey_AccountId",
                table: "pp_gateway_customers",
                columns: new[] { "GatewayKey", "AccountId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoice_comments_AccountId_InvoiceId_CreatedAt",
                table: "pp_invoice_comments",
                columns: new[] { "AccountId", "InvoiceId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_ExternalId",
                table: "pp_invoices",
                columns: new[] { "AccountId", "ExternalId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_DueDate_OpenMinor",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "DueDate", "OpenMinor" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_NumberKey",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "NumberKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_PoKey",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "PoKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_ReferenceKey",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "ReferenceKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_invoices_AccountId_IsOpen_Status_DueDate",
                table: "pp_invoices",
                columns: new[] { "AccountId", "IsOpen", "Status", "DueDate" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_outbox_CompletedAt_NextAttemptAt",
                table: "pp_outbox",
                columns: new[] { "CompletedAt", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_outbox_Kind_CompletedAt_CreatedAt",
                table: "pp_outbox",
                columns: new[] { "Kind", "CompletedAt", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_allocations_InvoiceId",
                table: "pp_payment_allocations",
                column: "InvoiceId");

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_allocations_InvoiceNumber",
                table: "pp_payment_allocations",
                column: "InvoiceNumber");

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_allocations_InvoiceNumberKey_PaymentId",
                table: "pp_payment_allocations",
                columns: new[] { "InvoiceNumberKey", "PaymentId" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_allocations_PaymentId_InvoiceNumberKey",
                table: "pp_payment_allocations",
                columns: new[] { "PaymentId", "InvoiceNumberKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_methods_AccountId_DeletedAt",
                table: "pp_payment_methods",
                columns: new[] { "AccountId", "DeletedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payment_methods_AccountId_GatewayKey_Token",
                table: "pp_payment_methods",
                columns: new[] { "AccountId", "GatewayKey", "Token" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_CreatedAt",
                table: "pp_payments",
                columns: new[] { "AccountId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_MemoKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "MemoKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_MethodKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "MethodKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_PaidByKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "PaidByKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_ReceiptKey",
                table: "pp_payments",
                columns: new[] { "AccountId", "ReceiptKey" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_AccountId_Status_CreatedAt",
                table: "pp_payments",
                columns: new[] { "AccountId", "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_GatewayReference",
                table: "pp_payments",
                column: "GatewayReference");

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_IdempotencyKey",
                table: "pp_payments",
                column: "IdempotencyKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_ReceiptNumber",
                table: "pp_payments",
                column: "ReceiptNumber",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_Status_LeaseExpiresAt",
                table: "pp_payments",
                columns: new[] { "Status", "LeaseExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_Status_NextCheckAt",
                table: "pp_payments",
                columns: new[] { "Status", "NextCheckAt" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_payments_Status_ScheduledFor",
                table: "pp_payments",
                columns: new[] { "Status", "ScheduledFor" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_saved_views_AccountId_Grid_IsShared",
                table: "pp_saved_views",
                columns: new[] { "AccountId", "Grid", "IsShared" });

            migrationBuilder.CreateIndex(
                name: "IX_pp_saved_views_AccountId_Grid_OwnerUserId_Name",
                table: "pp_saved_views",
                columns: new[] { "AccountId", "Grid", "OwnerUserId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_pp_sent_emails_AccountId_SentAt",
                table: "pp_sent_emails",
                columns: new[] { "AccountId", "SentAt" });

            // ACH authorizations are evidence: the database refuses to change them, and to delete one before two years
            // after its revocation, whoever asks (the context refuses too). Tables and the function live in the portal's
            // schema (the connection's search path); SET search_path FROM CURRENT pins the function to it, so the guard
            // finds pp_ach_revocations whatever the search path of whoever deletes.
            migrationBuilder.Sql("""
                CREATE FUNCTION pp_ach_authorizations_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
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

            migrationBuilder.DropTable(
                name: "pp_ach_authorizations");

            migrationBuilder.DropTable(
                name: "pp_ach_revocations");

            migrationBuilder.DropTable(
                name: "pp_audit_events");

            migrationBuilder.DropTable(
                name: "pp_erp_sync_state");

            migrationBuilder.DropTable(
                name: "pp_gateway_customers");

            migrationBuilder.DropTable(
                name: "pp_gateway_events");

            migrationBuilder.DropTable(
                name: "pp_grid_preferences");

            migrationBuilder.DropTable(
                name: "pp_invoice_comments");

            migrationBuilder.DropTable(
                name: "pp_invoices");

            migrationBuilder.DropTable(
                name: "pp_outbox");

            migrationBuilder.DropTable(
                name: "pp_payment_allocations");

            migrationBuilder.DropTable(
                name: "pp_payment_methods");

            migrationBuilder.DropTable(
                name: "pp_saved_views");

            migrationBuilder.DropTable(
                name: "pp_sent_emails");

            migrationBuilder.DropTable(
                name: "pp_payments");
        }
    }
}
