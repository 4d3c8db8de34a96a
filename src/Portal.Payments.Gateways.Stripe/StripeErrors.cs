using System.Net;
using global::Stripe;

namespace Portal.Payments.Gateways.Stripe;

/// <summary>What went wrong with a Stripe call, in the portal's closed terms.</summary>
/// <param name="Code">The portal's error code.</param>
/// <param name="Message">A message fit for the payer (never Stripe's technical text, never card data).</param>
/// <param name="OutcomeUnknown">True when the request may have been executed (timeout, 5xx, 409, 429): look it up, never treat it as failed.</param>
/// <param name="PaymentIntentId">The PaymentIntent the error belongs to, when Stripe named one (a declined charge).</param>
internal sealed record StripeFailure(GatewayErrorCode Code, string Message, bool OutcomeUnknown, string? PaymentIntentId = null)
{
    /// <summary>The charge status that goes with this failure.</summary>
    public ChargeStatus ChargeStatus => OutcomeUnknown ? ChargeStatus.Processing
        : Code is GatewayErrorCode.Returned ? ChargeStatus.Returned
        : IsDecline ? ChargeStatus.Declined
        : ChargeStatus.Failed;

    private bool IsDecline => Code is GatewayErrorCode.Declined or GatewayErrorCode.InsufficientFunds or GatewayErrorCode.ExpiredCard
        or GatewayErrorCode.InvalidCardNumber or GatewayErrorCode.InvalidSecurityCode or GatewayErrorCode.InvalidExpiry
        or GatewayErrorCode.AuthenticationRequired or GatewayErrorCode.Other or GatewayErrorCode.InvalidAccountNumber
        or GatewayErrorCode.InvalidRoutingNumber;
}

/// <summary>
/// Maps Stripe's errors (HTTP status, error type, code and decline code) onto <see cref="GatewayErrorCode"/>, with the
/// decline reason in plain language. Reasons that hint at fraud (lost or stolen card, pickup, fraudulent) are told to the
/// payer as a plain decline, as Stripe advises.
/// </summary>
internal static class StripeErrors
{
    internal const string PayNowWhileSignedIn =
        "Your card issuer asks you to confirm this payment, which cannot happen while you are away. Sign in and pay it now with this card, or choose another method.";

    /// <summary>
    /// Saving a method met an <c>idempotency_error</c> (its confirmation or update was sent before under the same key with
    /// other details): nothing was saved or charged. The payment wording of that error would talk of a payment.
    /// </summary>
    internal const string SaveSentWithOtherDetails =
        "These card or bank details were already sent to be saved with other details, so they were not saved. Enter them again.";

    private const string GenericDecline = "The card was declined. Use another card, or contact your card issuer.";

    /// <summary>Plain-language reasons by Stripe decline code (or error code).</summary>
    private static readonly Dictionary<string, (GatewayErrorCode Code, string Message)> Declines = new(StringComparer.Ordinal)
    {
        ["generic_decline"] = (GatewayErrorCode.Declined, GenericDecline),
        ["card_declined"] = (GatewayErrorCode.Declined, GenericDecline),
        ["insufficient_funds"] = (GatewayErrorCode.InsufficientFunds, "The card has insufficient funds. Use another card or method."),
        ["lost_card"] = (GatewayErrorCode.Declined, GenericDecline),
        ["stolen_card"] = (GatewayErrorCode.Declined, GenericDecline),
        ["pickup_card"] = (GatewayErrorCode.Declined, GenericDecline),
        ["fraudulent"] = (GatewayErrorCode.Declined, GenericDecline),
        ["merchant_blacklist"] = (GatewayErrorCode.Declined, GenericDecline),
        ["restricted_card"] = (GatewayErrorCode.Declined, GenericDecline),
        ["security_violation"] = (GatewayErrorCode.Declined, GenericDecline),
        ["do_not_honor"] = (GatewayErrorCode.Declined, "The card issuer declined the payment without giving a reason. Contact your card issuer, or use another card."),
        ["do_not_try_again"] = (GatewayErrorCode.Declined, "The card issuer declined the payment and asks not to try this card again. Use another card."),
        ["call_issuer"] = (GatewayErrorCode.Declined, "The card issuer declined the payment. Call the number on the back of the card, or use another card."),
        ["no_action_taken"] = (GatewayErrorCode.Declined, "The card issuer declined the payment. Contact your card issuer, or use another card."),
        ["transaction_not_allowed"] = (GatewayErrorCode.Declined, "The card does not allow this kind of payment. Use another card."),
        ["not_permitted"] = (GatewayErrorCode.Declined, "The card does not allow this kind of payment. Use another card."),
        ["service_not_allowed"] = (GatewayErrorCode.Declined, "The card does not allow this kind of payment. Use another card."),
        ["card_not_supported"] = (GatewayErrorCode.Declined, "The card does not support this kind of payment. Use another card."),
        ["currency_not_supported"] = (GatewayErrorCode.Declined, "The card cannot be charged in this currency. Use another card."),
        ["card_velocity_exceeded"] = (GatewayErrorCode.Declined, "The card is over its spending limit. Use another card, or contact your card issuer."),
        ["withdrawal_count_limit_exceeded"] = (GatewayErrorCode.Declined, "The card is over its spending limit. Use another card, or contact your card issuer."),
        ["revocation_of_authorization"] = (GatewayErrorCode.Declined, "The card issuer stopped payments to this merchant. Use another card."),
        ["stop_payment_order"] = (GatewayErrorCode.Declined, "The card issuer stopped payments to this merchant. Use another card."),
        ["duplicate_transaction"] = (GatewayErrorCode.Declined, "The card issuer declined this as a duplicate of a recent payment. Check your recent payments before trying again."),
        ["issuer_not_available"] = (GatewayErrorCode.Declined, "The card issuer could not be reached. Try again in a few minutes, or use another card."),
        ["try_again_later"] = (GatewayErrorCode.Declined, "The card issuer asks to try again later. Try again in a few minutes, or use another card."),
        ["reenter_transaction"] = (GatewayErrorCode.Declined, "The card issuer could not process the payment. Try again, or use another card."),
        ["approve_with_id"] = (GatewayErrorCode.Declined, "The card issuer could not authorize the payment. Try again, or contact your card issuer."),
        ["incorrect_zip"] = (GatewayErrorCode.Declined, "The billing postal code does not match the card. Correct it, or use another card."),
        ["incorrect_address"] = (GatewayErrorCode.Declined, "The billing address does not match the card. Correct it, or use another card."),
        ["testmode_decline"] = (GatewayErrorCode.Declined, "This is a test card; it cannot be charged on a live site."),
        ["live_mode_test_card"] = (GatewayErrorCode.Declined, "This is a test card; it cannot be charged on a live site."),
        ["expired_card"] = (GatewayErrorCode.ExpiredCard, "The card has expired. Use another card, or update its expiry date."),
        ["incorrect_cvc"] = (GatewayErrorCode.InvalidSecurityCode, "The card's security code is incorrect. Check it, or use another card."),
        ["invalid_cvc"] = (GatewayErrorCode.InvalidSecurityCode, "The card's security code is incorrect. Check it, or use another card."),
        ["incorrect_number"] = (GatewayErrorCode.InvalidCardNumber, "The card number is incorrect. Check it, or use another card."),
        ["invalid_number"] = (GatewayErrorCode.InvalidCardNumber, "The card number is incorrect. Check it, or use another card."),
        ["invalid_expiry_month"] = (GatewayErrorCode.InvalidExpiry, "The card's expiry month is invalid."),
        ["invalid_expiry_year"] = (GatewayErrorCode.InvalidExpiry, "The card's expiry year is invalid."),
        ["processing_error"] = (GatewayErrorCode.Other, "The card could not be processed just now. Try again in a moment, or use another card."),
        ["authentication_required"] = (GatewayErrorCode.AuthenticationRequired, PayNowWhileSignedIn),
        ["payment_intent_authentication_failure"] = (GatewayErrorCode.Declined, "The payment was not confirmed with your card issuer. Try again, or use another card."),
        ["setup_intent_authentication_failure"] = (GatewayErrorCode.Declined, "The card was not confirmed with your card issuer. Try again, or use another card."),
    };

    /// <summary>Plain-language ACH failure and return reasons (with the NACHA return code) by Stripe failure code.</summary>
    private static readonly Dictionary<string, (GatewayErrorCode Code, string Message)> BankFailures = new(StringComparer.Ordinal)
    {
        ["insufficient_funds"] = (GatewayErrorCode.Returned, "R01: the bank returned the debit for insufficient funds."),
        ["account_closed"] = (GatewayErrorCode.Returned, "R02: the bank returned the debit because the account is closed."),
        ["no_account"] = (GatewayErrorCode.Returned, "R03: the bank returned the debit because it could not find the account."),
        ["invalid_account_number"] = (GatewayErrorCode.Returned, "R04: the bank returned the debit because the account number is invalid."),
        ["debit_not_authorized"] = (GatewayErrorCode.Returned, "R10: the account holder told the bank the debit was not authorized."),
        ["bank_account_restricted"] = (GatewayErrorCode.Returned, "R16: the bank returned the debit because the account is frozen or restricted."),
        ["account_frozen"] = (GatewayErrorCode.Returned, "R16: the bank returned the debit because the account is frozen or restricted."),
        ["invalid_currency"] = (GatewayErrorCode.Returned, "The bank account cannot be debited in this currency."),
    };

    /// <summary>Maps a failed call. <paramref name="bankAccount"/> selects ACH wording for payment failures.</summary>
    public static StripeFailure FromException(Exception exception, bool bankAccount = false)
    {
        switch (exception)
        {
            case StripeException stripe when stripe.StripeError is not null && (int)stripe.HttpStatusCode != 0:
                return FromStripe(stripe, bankAccount);
            case StripeException { InnerException: { } inner }:
                return FromException(inner, bankAccount);
            case TaskCanceledException or TimeoutException:
                return new(GatewayErrorCode.Timeout, "Stripe did not answer in time. The payment's outcome will be checked; do not pay again.", OutcomeUnknown: true);
            case HttpRequestException or IOException:
                return new(GatewayErrorCode.Unavailable, "Stripe could not be reached. The payment's outcome will be checked; do not pay again.", OutcomeUnknown: true);
            default:
                return new(GatewayErrorCode.Timeout, "The payment's outcome is not known yet; it will be checked. Do not pay again.", OutcomeUnknown: true);
        }
    }

    private static StripeFailure FromStripe(StripeException exception, bool bankAccount)
    {
        var error = exception.StripeError;
        var status = (int)exception.HttpStatusCode;
        var paymentIntent = error.PaymentIntent?.Id;
        if (status == (int)HttpStatusCode.Conflict)
        {
            return new(GatewayErrorCode.InProgress, "This payment is still being processed. Its outcome will be checked; do not pay again.", OutcomeUnknown: true, paymentIntent);
        }
        if (status == 429)
        {
            return new(GatewayErrorCode.Unavailable, "Stripe is busy right now. The payment's outcome will be checked; do not pay again.", OutcomeUnknown: true, paymentIntent);
        }
        if (status >= 500)
        {
            return new(GatewayErrorCode.Unavailable, "Stripe had a problem answering. The payment's outcome will be checked; do not pay again.", OutcomeUnknown: true, paymentIntent);
        }
        if (error.Type == "idempotency_error")
        {
            return new(GatewayErrorCode.IdempotencyConflict, "This payment was already sent with different details; nothing more was charged.", OutcomeUnknown: false, paymentIntent);
        }
        if (status is 401 or 403)
        {
            return new(GatewayErrorCode.Unavailable, "Card and bank payments are not available right now (the payment service refused the portal's credentials). Nothing was charged.", OutcomeUnknown: false, paymentIntent);
        }
        if (error.Type == "card_error" || status == 402)
        {
            return Decline(error.DeclineCode ?? error.Code, bankAccount) with { PaymentIntentId = paymentIntent };
        }
        if (error.Code == "resource_missing" || status == 404)
        {
            return error.Param is "payment_method" or "customer" || error.Message?.Contains("PaymentMethod", StringComparison.OrdinalIgnoreCase) == true
                ? new(GatewayErrorCode.InvalidToken, "This payment method is no longer available at the payment service. Add it again.", OutcomeUnknown: false, paymentIntent)
                : new(GatewayErrorCode.NotFound, "The payment service has no record of this.", OutcomeUnknown: false, paymentIntent);
        }
        if (error.Code is { } code && Declines.TryGetValue(code, out var known))
        {
            return new(known.Code, known.Message, OutcomeUnknown: false, paymentIntent);
        }
        return new(GatewayErrorCode.InvalidRequest, "The payment service refused the request. Nothing was charged; contact support if this persists.", OutcomeUnknown: false, paymentIntent);
    }

    /// <summary>A decline (or bank failure) from a decline code or failure code.</summary>
    public static StripeFailure Decline(string? code, bool bankAccount)
    {
        if (bankAccount)
        {
            return code is not null && BankFailures.TryGetValue(code, out var bank)
                ? new(bank.Code, bank.Message, OutcomeUnknown: false)
                : new(GatewayErrorCode.Returned, "The bank returned the debit. Use another account or method.", OutcomeUnknown: false);
        }
        return code is not null && Declines.TryGetValue(code, out var known)
            ? new(known.Code, known.Message, OutcomeUnknown: false)
            : new(GatewayErrorCode.Declined, GenericDecline, OutcomeUnknown: false);
    }

    /// <summary>The failure recorded on a PaymentIntent or SetupIntent (<c>last_payment_error</c>, <c>last_setup_error</c>).</summary>
    public static StripeFailure FromRecordedError(StripeError? error, bool bankAccount) =>
        error is null
            ? Decline(null, bankAccount)
            : Decline(error.DeclineCode ?? error.Code, bankAccount || error.PaymentMethod?.Type == "us_bank_account");
}
