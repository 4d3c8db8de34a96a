using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Portal.Payments.Gateways.Stripe;

/// <summary>Checks the Stripe settings when the host starts and says what to fix.</summary>
internal sealed partial class StripeGatewayOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<StripeGatewayOptions>
{
    private const string S = StripeGatewayOptions.SectionName;
    private const string Where = "Find your keys in the Stripe Dashboard under Developers → API keys.";

    /// <summary>Characters Stripe refuses in statement descriptors.</summary>
    internal const string ForbiddenDescriptorCharacters = "<>\\'\"*";

    public ValidateOptionsResult Validate(string? name, StripeGatewayOptions o)
    {
        var errors = new List<string>();
        string? secretMode = null, publishableMode = null;

        if (string.IsNullOrWhiteSpace(o.SecretKey))
        {
            errors.Add($"{S}:SecretKey is not set. Set it to your secret key (sk_test_… or sk_live_…) or a restricted key (rk_test_…, rk_live_…). {Where}");
        }
        else if (SecretKeyPattern().Match(o.SecretKey) is { Success: true } secret)
        {
            secretMode = secret.Groups["mode"].Value;
        }
        else
        {
            errors.Add(o.SecretKey.StartsWith("pk_", StringComparison.Ordinal)
                ? $"{S}:SecretKey holds a publishable key (pk_…). Put the secret key (sk_… or rk_…) there and the pk_… key in {S}:PublishableKey."
                : $"{S}:SecretKey is not a Stripe secret key: it must look like sk_test_…, sk_live_…, rk_test_… or rk_live_… (letters and digits after the prefix). {Where}");
        }

        if (string.IsNullOrWhiteSpace(o.PublishableKey))
        {
            errors.Add($"{S}:PublishableKey is not set. Set it to the publishable key (pk_test_… or pk_live_…) of the same account; Stripe.js uses it in the browser. {Where}");
        }
        else if (PublishableKeyPattern().Match(o.PublishableKey) is { Success: true } publishable)
        {
            publishableMode = publishable.Groups["mode"].Value;
        }
        else
        {
            errors.Add(o.PublishableKey.StartsWith("sk_", StringComparison.Ordinal) || o.PublishableKey.StartsWith("rk_", StringComparison.Ordinal)
                ? $"{S}:PublishableKey holds a secret key, which would be sent to every browser. Put the pk_… key there, keep the secret key in {S}:SecretKey only, and roll the exposed secret key in the Dashboard if it was ever served."
                : $"{S}:PublishableKey is not a Stripe publishable key: it must look like pk_test_… or pk_live_…. {Where}");
        }

        if (secretMode is not null && publishableMode is not null && secretMode != publishableMode)
        {
            errors.Add($"{S}:SecretKey is a {secretMode} key but {S}:PublishableKey is a {publishableMode} key. Use the two keys of one mode (both test or both live).");
        }

        if (string.IsNullOrWhiteSpace(o.WebhookSigningSecret))
        {
            errors.Add($"{S}:WebhookSigningSecret is not set. Add a webhook endpoint for https://<your portal>/portal-payments/gateways/stripe/webhook in the Stripe Dashboard (Developers → Webhooks) and copy its signing secret (whsec_…).");
        }
        else if (!WebhookSecretPattern().IsMatch(o.WebhookSigningSecret))
        {
            errors.Add($"{S}:WebhookSigningSecret is not a webhook signing secret: it must look like whsec_… (copy it from the endpoint's page under Developers → Webhooks).");
        }

        var production = environment?.IsProduction() ?? false;
        var environmentName = environment?.EnvironmentName ?? "(unknown)";
        var modes = new[] { secretMode, publishableMode };
        if (modes.Contains("live") && !production && !o.AllowLiveKeysOutsideProduction)
        {
            errors.Add($"Live Stripe keys are configured but the host runs in the {environmentName} environment: real cards would be charged. Use test keys (sk_test_…, pk_test_…) here, or set {S}:AllowLiveKeysOutsideProduction to true if this really is a live site.");
        }
        if (modes.Contains("test") && production && !o.AllowTestKeysInProduction)
        {
            errors.Add($"Test Stripe keys are configured but the host runs in Production: no payment would move money. Use live keys (sk_live_…, pk_live_…), or set {S}:AllowTestKeysInProduction to true for a staging site.");
        }

        if (o.StatementDescriptor is { } descriptor)
        {
            var trimmed = descriptor.Trim();
            if (trimmed.Length == 0)
            {
                errors.Add($"{S}:StatementDescriptor is blank; remove it or write up to 22 characters.");
            }
            else
            {
                if (trimmed.Length > 22)
                {
                    errors.Add($"{S}:StatementDescriptor has {trimmed.Length} characters; Stripe allows at most 22.");
                }
                var forbidden = trimmed.Where(c => ForbiddenDescriptorCharacters.Contains(c)).Distinct().ToList();
                if (forbidden.Count > 0)
                {
                    errors.Add($"{S}:StatementDescriptor contains {string.Join(" ", forbidden)}; Stripe refuses the characters < > \\ ' \" *.");
                }
                if (trimmed.Any(c => c < ' ' || c > '~'))
                {
                    errors.Add($"{S}:StatementDescriptor must use Latin letters, digits, spaces and common punctuation only (bank statements print nothing else).");
                }
                if (!trimmed.Any(char.IsAsciiLetter))
                {
                    errors.Add($"{S}:StatementDescriptor must contain at least one letter.");
                }
            }
        }

        if (o.ApiBase is { Length: > 0 } apiBase
            && (!Uri.TryCreate(apiBase, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            errors.Add($"{S}:ApiBase must be an absolute http(s) URL; leave it unset to use Stripe's API.");
        }
        if (o.WebhookTolerance <= TimeSpan.Zero || o.WebhookTolerance > TimeSpan.FromHours(1))
        {
            errors.Add($"{S}:WebhookTolerance must be more than zero and at most one hour (default 00:05:00).");
        }
        if (o.RequestTimeout < TimeSpan.FromSeconds(1) || o.RequestTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{S}:RequestTimeout must be 1 second to 5 minutes (default 00:00:40).");
        }
        if (o.MaxNetworkRetries is < 0 or > 10)
        {
            errors.Add($"{S}:MaxNetworkRetries must be 0 to 10 (default 2).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^(sk|rk)_(?<mode>test|live)_[0-9A-Za-z]{8,}\\z")]
    private static partial Regex SecretKeyPattern();

    [GeneratedRegex("^pk_(?<mode>test|live)_[0-9A-Za-z]{8,}\\z")]
    private static partial Regex PublishableKeyPattern();

    [GeneratedRegex("^whsec_[0-9A-Za-z+/=]{8,}\\z")]
    private static partial Regex WebhookSecretPattern();
}
