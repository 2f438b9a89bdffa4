using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.OpenApi;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Adds <c>wx.&lt;api&gt;(options)</c> for every <see cref="OpenApiDispatcher.ApiNames"/> entry: the options object
/// without its functions goes to <see cref="OpenApiDispatcher.InvokeJsonAsync"/> as JSON, and the answer comes back to
/// the JavaScript thread as <c>success</c>/<c>fail</c> then <c>complete</c>, or as the returned Promise.
/// </summary>
/// <param name="services">Where the <see cref="MiniOpenApiProxy"/> (optional: <see cref="DefaultMiniOpenApiProxy"/> when none) and the loggers come from.</param>
internal sealed class OpenApiInstaller(IServiceProvider services) : IJsGlobalInstaller
{
    /// <inheritdoc/>
    public void Install(JsInstallContext context)
    {
        ILoggerFactory loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        MiniOpenApiProxy? proxy = services.GetService<MiniOpenApiProxy>();
        if (proxy is null)
        {
            WxLog.DefaultProxy(context.Logger);
            proxy = new DefaultMiniOpenApiProxy();
        }

        var calls = new OpenApiCalls(context, new OpenApiDispatcher(proxy, loggers.CreateLogger("IpcBroker.MiniProcess.OpenApi")));
        foreach (string api in OpenApiDispatcher.ApiNames)
        {
            context.Wx.Set(api, new ClrFunction(context.Engine, api, (_, arguments) => calls.Call(api, arguments.At(0))));
        }
    }

    /// <summary>The calls of one mini program.</summary>
    /// <param name="context">The mini program's engine, thread and context.</param>
    /// <param name="dispatcher">The dispatcher.</param>
    private sealed class OpenApiCalls(JsInstallContext context, OpenApiDispatcher dispatcher)
    {
        // One of each per engine: both are used on the JavaScript thread only.
        private readonly JsonSerializer serializer = new(context.Engine);
        private readonly JsonParser parser = new(context.Engine);

        /// <summary>Starts a call; runs on the JavaScript thread.</summary>
        /// <param name="api">The API.</param>
        /// <param name="options">The mini program's options object (or anything it passed).</param>
        /// <returns>The Promise, or undefined in callback style.</returns>
        public JsValue Call(string api, JsValue options)
        {
            WxReply reply = WxReply.For(context.Engine, options);
            string? parameters = null;
            if (options is ObjectInstance)
            {
                try
                {
                    // JSON.stringify leaves out function-valued properties: the callbacks do not travel.
                    parameters = this.serializer.Serialize(options).ToString();
                }
                catch (JavaScriptException ex)
                {
                    string message = $"The parameters cannot be written as JSON: {ex.Message}";
                    this.Deliver(api, OpenApiResult.Error(OpenApiErrno.BadParameters, message).ToJson(), reply);
                    return reply.Returned;
                }
            }

            _ = this.RunAsync(api, parameters, reply);
            return reply.Returned;
        }

        private async Task RunAsync(string api, string? parameters, WxReply reply)
        {
            string result;
            try
            {
                result = await dispatcher.InvokeJsonAsync(context.App, api, parameters, context.Stopping).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The dispatcher never faults by contract; this keeps the call answered if that ever changes.
                WxLog.DispatcherThrew(context.Logger, ex, api);
                result = OpenApiResult.Error(OpenApiErrno.InternalError, $"wx.{api} failed inside the mini process.").ToJson();
            }

            this.Deliver(api, result, reply);
        }

        /// <summary>Posts the answer to the JavaScript thread; a later task even when called there.</summary>
        private void Deliver(string api, string result, WxReply reply)
        {
            if (!context.Thread.Post(() => this.Settle(api, result, reply)))
            {
                WxLog.AnswerDropped(context.Logger, api);
            }
        }

        private void Settle(string api, string result, WxReply reply)
        {
            JsValue envelope = this.parser.Parse(result);
            JsValue data = envelope.Get("data");
            if (envelope.Get("success").Equals(JsBoolean.True))
            {
                reply.Settle(true, WxResults.Ok(context.Engine, api, data));
                return;
            }

            JsValue message = data.Get(OpenApiErrno.MessageKey);
            JsValue errno = data.Get(OpenApiErrno.Key);
            reply.Settle(false, WxResults.Fail(context.Engine, api, message.IsString() ? message.AsString() : null, errno.IsNumber() ? (int)errno.AsNumber() : OpenApiErrno.InternalError));
        }
    }
}
