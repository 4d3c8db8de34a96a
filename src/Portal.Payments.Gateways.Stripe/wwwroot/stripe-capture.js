// Portal.Payments Stripe capture: loads Stripe.js from Stripe (never bundled, never from our server), mounts the
// Payment Element for cards, runs collectBankAccountForSetup for US bank accounts and handleNextAction for 3-D Secure.
// Only the resulting payment method id (pm_…) goes back to the server. Stripe.js runs in the portal's language (locale);
// Stripe's own messages come back as `error`, this script's own failures as a `code` the form words.
const STRIPE_JS = "https://js.stripe.com/v3/";
const clients = new Map();
const mounted = new Map();
let loading;

function loadStripe() {
  if (window.Stripe) {
    return Promise.resolve(window.Stripe);
  }
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      let script = document.querySelector(`script[src="${STRIPE_JS}"]`);
      if (!script) {
        script = document.createElement("script");
        script.src = STRIPE_JS;
        script.async = true;
        document.head.appendChild(script);
      }
      script.addEventListener("load", () => (window.Stripe ? resolve(window.Stripe) : reject(failure("stripe-js"))));
      script.addEventListener("error", () => {
        loading = undefined;
        script.remove();
        reject(failure("stripe-js"));
      });
    });
  }
  return loading;
}

async function client(publishableKey, locale) {
  const Stripe = await loadStripe();
  const key = `${publishableKey} ${locale || "auto"}`;
  if (!clients.has(key)) {
    clients.set(key, Stripe(publishableKey, { locale: locale || "auto" }));
  }
  return clients.get(key);
}

const idOf = (value) => (typeof value === "string" ? value : value && value.id) || null;
// A failure of this script itself, by code; the form words it in the portal's language.
const failure = (code) => Object.assign(new Error(code), { portalCode: code });
// Stripe's message (in Stripe.js's locale), or this script's code; neither when Stripe said nothing usable.
const failureOf = (error) =>
  error && error.portalCode ? { code: error.portalCode } : { error: (error && typeof error.message === "string" && error.message) || null };

export async function mount(id, publishableKey, clientSecret, kind, locale) {
  try {
    const stripe = await client(publishableKey, locale);
    const entry = { stripe, clientSecret, kind };
    if (kind === "Card") {
      const container = document.getElementById(id);
      if (!container) {
        return { ok: false, code: "form-gone" };
      }
      entry.elements = stripe.elements({ clientSecret });
      // The name is typed in the portal's own field and sent with the confirmation.
      entry.element = entry.elements.create("payment", { fields: { billingDetails: { name: "never" } } });
      entry.element.mount(container);
    }
    mounted.set(id, entry);
    return { ok: true };
  } catch (error) {
    return { ok: false, ...failureOf(error) };
  }
}

// The last four digits when Stripe returned the payment method expanded (it may return only its id).
function last4Of(paymentMethod) {
  if (!paymentMethod || typeof paymentMethod !== "object") {
    return null;
  }
  const details = paymentMethod.us_bank_account || paymentMethod.card;
  return details && typeof details.last4 === "string" ? details.last4 : null;
}

export async function confirm(id, billing) {
  const entry = mounted.get(id);
  if (!entry) {
    return { code: "not-ready" };
  }
  const billingDetails = { name: billing.name };
  if (billing.email) {
    billingDetails.email = billing.email;
  }
  try {
    if (entry.kind === "Card") {
      const result = await entry.stripe.confirmSetup({
        elements: entry.elements,
        redirect: "if_required",
        confirmParams: { return_url: window.location.href, payment_method_data: { billing_details: billingDetails } },
      });
      if (result.error) {
        return failureOf(result.error);
      }
      return { paymentMethodId: idOf(result.setupIntent.payment_method), last4: last4Of(result.setupIntent.payment_method) };
    }
    const result = await entry.stripe.collectBankAccountForSetup({
      clientSecret: entry.clientSecret,
      params: { payment_method_type: "us_bank_account", payment_method_data: { billing_details: billingDetails } },
    });
    if (result.error) {
      return failureOf(result.error);
    }
    if (!result.setupIntent || result.setupIntent.status === "requires_payment_method") {
      return { code: "no-bank-account" };
    }
    return { paymentMethodId: idOf(result.setupIntent.payment_method), last4: last4Of(result.setupIntent.payment_method) };
  } catch (error) {
    return failureOf(error);
  }
}

export async function handleNextAction(publishableKey, clientSecret, locale) {
  try {
    const stripe = await client(publishableKey, locale);
    const result = await stripe.handleNextAction({ clientSecret });
    if (result.error) {
      return { completed: false, ...failureOf(result.error) };
    }
    return { completed: true };
  } catch (error) {
    return { completed: false, ...failureOf(error) };
  }
}

export function unmount(id) {
  const entry = mounted.get(id);
  if (entry && entry.element) {
    entry.element.destroy();
  }
  mounted.delete(id);
}
